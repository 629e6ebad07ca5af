// A randomized soak: several writers (psql and REST through the server) mix
// inserts, updates and deletes while clients lose their event stream and
// resume. Afterwards every client model equals SELECT * exactly, and every
// client saw each change exactly once. Bounded in count and time.

#include "testdatabase.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QWebSocket>
#include <QtTest>

using namespace Aiodata;

class tst_Soak : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void mixedWritersWithDrops();

private:
    TestDatabase m_db{QStringLiteral("tst_soak")};
    TestServer m_server;
};

void tst_Soak::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral("CREATE TABLE api.items (id int PRIMARY KEY, v int NOT NULL, note text);"
                                      "GRANT SELECT ON api.items TO anon; GRANT ALL ON api.items TO auth;"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

struct Counted
{
    qint64 created = 0;
    qint64 updated = 0;
    qint64 deleted = 0;
};

void tst_Soak::mixedWritersWithDrops()
{
    const int operations = qEnvironmentVariableIntValue("AIODATA_SOAK_OPERATIONS") > 0
        ? qEnvironmentVariableIntValue("AIODATA_SOAK_OPERATIONS") : 1500;
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items SELECT g, g FROM generate_series(1, 200) g")));

    // Three watching clients, counting the rows their events carry.
    std::vector<std::unique_ptr<Client>> clients;
    std::vector<Counted> seen(3);
    for (int i = 0; i < 3; ++i) {
        auto client = std::make_unique<Client>();
        client->setUrl(m_server.url());
        connect(client.get(), &Client::tableAdded, client.get(), [](TableModel *m) {
            new QAbstractItemModelTester(m, QAbstractItemModelTester::FailureReportingMode::QtTest, m);
        });
        QSignalSpy ready(client.get(), &Client::ready);
        client->start();
        QVERIFY(ready.wait(10000));
        Counted *c = &seen[i];
        connect(client.get(), &Client::created, this, [c](const QString &, const QVariantList &rows) { c->created += rows.size(); });
        connect(client.get(), &Client::updated, this, [c](const QString &, const QVariantList &, const QVariantList &rows) {
            c->updated += rows.size();
        });
        connect(client.get(), &Client::deleted, this, [c](const QString &, const QVariantList &rows) { c->deleted += rows.size(); });
        clients.push_back(std::move(client));
    }

    QNetworkAccessManager network;
    const QByteArray token = "Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8();
    Counted done;           // rows actually changed, as the writers were told
    int pendingReplies = 0;
    int nextId = 1000;
    QRandomGenerator random(20261125);
    bool writeFailed = false;
    auto count = [&](const QString &sql) {
        const qint64 n = m_db.changed(sql);
        writeFailed = writeFailed || n < 0;
        return qMax<qint64>(n, 0);
    };
    auto rest = [&](const QByteArray &method, const QByteArray &path, const QByteArray &body, qint64 Counted::*field) {
        QNetworkRequest request(QUrl(m_server.url().toString() + QString::fromLatin1(path)));
        request.setRawHeader("Authorization", token);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = network.sendCustomRequest(request, method, body);
        ++pendingReplies;
        connect(reply, &QNetworkReply::finished, this, [&, reply, field] {
            --pendingReplies;
            reply->deleteLater();
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() / 100 == 2)
                done.*field += QJsonDocument::fromJson(reply->readAll()).array().size();
        });
    };

    QElapsedTimer timer;
    timer.start();
    for (int op = 0; op < operations && timer.elapsed() < 60000; ++op) {
        const int target = 1 + int(random.bounded(nextId - 1));
        switch (random.bounded(6)) {
        case 0: // psql insert, sometimes several rows in one transaction
            done.created += count(QStringLiteral("INSERT INTO api.items SELECT g, g FROM generate_series(%1, %2) g")
                                      .arg(nextId).arg(nextId + int(random.bounded(3))));
            nextId += 3;
            break;
        case 1:
            done.updated += count(QStringLiteral("UPDATE api.items SET v = v + 1, note = 'psql' WHERE id % 97 = %1 % 97").arg(target));
            break;
        case 2:
            done.deleted += count(QStringLiteral("DELETE FROM api.items WHERE id = %1").arg(target));
            break;
        case 3:
            rest("POST", "/query/items", QStringLiteral("{\"id\": %1, \"v\": 0, \"note\": \"rest\"}").arg(nextId++).toUtf8(),
                 &Counted::created);
            break;
        case 4:
            rest("PATCH", "/query/items/" + QByteArray::number(target), "{\"note\": \"patched\"}", &Counted::updated);
            break;
        case 5:
            rest("DELETE", "/query/items?id=eq." + QByteArray::number(target), QByteArray(), &Counted::deleted);
            break;
        }
        if (op % 250 == 125) {
            // One client loses its event stream; it must resume without loss.
            QWebSocket *socket = clients.at(op / 250 % clients.size())->findChild<QWebSocket *>();
            if (socket)
                socket->abort();
        }
        if (op % 20 == 0)
            QCoreApplication::processEvents();
    }
    QTRY_COMPARE_WITH_TIMEOUT(pendingReplies, 0, 20000);
    QVERIFY(!writeFailed);

    const QJsonArray table = m_db.rows(QStringLiteral("SELECT * FROM api.items ORDER BY id"));
    for (size_t i = 0; i < clients.size(); ++i) {
        TableModel *items = clients.at(i)->table(QStringLiteral("items"));
        QTRY_COMPARE_WITH_TIMEOUT(items->rowCount(), table.size(), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(seen[i].created, done.created, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(seen[i].deleted, done.deleted, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(seen[i].updated, done.updated, 20000);
        for (int r = 0; r < table.size(); ++r)
            QCOMPARE(QJsonObject::fromVariantMap(items->row(r)), table.at(r).toObject());
        QCOMPARE(clients.at(i)->status(), Client::Ready);
    }
    qInfo("soak: %d operations in %lld ms; %lld created, %lld updated, %lld deleted rows",
          operations, timer.elapsed(), done.created, done.updated, done.deleted);
}

QTEST_MAIN(tst_Soak)
#include "tst_soak.moc"
