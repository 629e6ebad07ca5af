#include "testclient.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>

bool startTestClient(Aiodata::Client &client, const QUrl &url, const QString &token, int timeoutMs)
{
    client.setUrl(url);
    client.setToken(token);
    QObject::connect(&client, &Aiodata::Client::tableAdded, &client, [](Aiodata::TableModel *model) {
        new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest, model);
    });
    QSignalSpy ready(&client, &Aiodata::Client::ready);
    client.start();
    return ready.wait(timeoutMs);
}
