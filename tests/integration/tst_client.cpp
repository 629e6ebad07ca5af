// Aiodata::Client against the real server: reconnecting and re-syncing,
// starting before the server, refused tokens, editing through setData.

#include "testdatabase.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

using namespace Aiodata;

class tst_Client : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void resyncsAfterServerRestart();
    void startsBeforeServer();
    void refusedTokenStops_data();
    void refusedTokenStops();
    void editsThroughSetData();
    void refusedEditReverts();
    void stopDisconnects();

private:
    void watch(Client &client);
    bool modelEqualsTable(TableModel *model);

    TestDatabase m_db{QStringLiteral("tst_client")};
    TestServer m_server;
    QList<QAbstractItemModelTester *> m_testers;
};

void tst_Client::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error, TestServer::freePort()), qPrintable(error));
}

void tst_Client::init()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.pets; INSERT INTO api.pets VALUES "
                                     "('Dog', 'Beagle', 'Rex', 1, false), ('Cat', 'Tabby', 'Tom', 2, true)")));
    if (!m_server.isRunning()) {
        QString error;
        QVERIFY2(m_server.restart(&error), qPrintable(error));
    }
}

// A model tester on every model before it fills.
void tst_Client::watch(Client &client)
{
    client.setUrl(m_server.url());
    connect(&client, &Client::tableAdded, this, [this](TableModel *model) {
        m_testers.append(new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest, model));
    });
}

bool tst_Client::modelEqualsTable(TableModel *model)
{
    const QJsonArray table = m_db.rows(QStringLiteral("SELECT * FROM api.pets"));
    if (model->rowCount() != table.size())
        return false;
    for (const QJsonValue &v : table) {
        const QJsonObject o = v.toObject();
        const int row = model->indexOfKey({o.value(QLatin1String("type")).toString(), o.value(QLatin1String("breed")).toString(),
                                           o.value(QLatin1String("name")).toString()});
        if (row < 0 || QJsonObject::fromVariantMap(model->row(row)) != o)
            return false;
    }
    return true;
}

void tst_Client::resyncsAfterServerRestart()
{
    Client client;
    watch(client);
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(ready.wait(10000));
    TableModel *pets = client.table(QStringLiteral("pets"));
    QVERIFY(modelEqualsTable(pets));
    QSignalSpy resets(pets, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(pets, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(pets, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(pets, &QAbstractItemModel::dataChanged);
    QSignalSpy statuses(&client, &Client::statusChanged);

    // While the server is down, the database changes behind its back.
    m_server.stop();
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), Client::Reconnecting, 5000);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Bird', 'Parrot', 'Polly', 3, false);"
                                     "DELETE FROM api.pets WHERE name = 'Tom';"
                                     "UPDATE api.pets SET groomed = true WHERE name = 'Rex'")));
    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));

    QVERIFY(ready.wait(15000));
    QCOMPARE(client.status(), Client::Ready);
    QVERIFY(modelEqualsTable(pets));
    // The re-sync merged: exact row signals, no reset.
    QCOMPARE(resets.size(), 0);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(changed.size(), 1);
    QVERIFY(statuses.contains(QVariantList{QVariant::fromValue(Client::Reconnecting)}));

    // And events flow again.
    Client writer;
    writer.setUrl(m_server.url());
    writer.setToken(TestServer::token(QStringLiteral("auth")));
    QSignalSpy writerReady(&writer, &Client::ready);
    writer.start();
    QVERIFY(writerReady.wait(10000));
    QSignalSpy created(&client, &Client::created);
    writer.table(QStringLiteral("pets"))->create(
        writer.table(QStringLiteral("pets"))->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Aqui")}));
    QVERIFY(created.wait(5000));
    QVERIFY(modelEqualsTable(pets));
}

void tst_Client::startsBeforeServer()
{
    m_server.stop();
    Client client;
    watch(client);
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(errors.first().at(0).value<Client::Error>(), Client::ConnectionError);
    QVERIFY(!client.errorString().isEmpty());
    QCOMPARE(client.status(), Client::Connecting);

    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    QVERIFY(ready.wait(15000));
    QVERIFY(modelEqualsTable(client.table(QStringLiteral("pets"))));
    QCOMPARE(client.error(), Client::NoError);
}

void tst_Client::refusedTokenStops_data()
{
    QTest::addColumn<QString>("token");
    QTest::newRow("wrong secret") << QString::fromLatin1(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aCJ9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    QTest::newRow("expired") << TestServer::token(QStringLiteral("auth"), {{QStringLiteral("exp"), 1000}});
    QTest::newRow("garbage") << QStringLiteral("not-a-token");
}

void tst_Client::refusedTokenStops()
{
    QFETCH(QString, token);
    Client client;
    watch(client);
    client.setToken(token);
    QSignalSpy errors(&client, &Client::errorOccurred);
    client.start();
    QVERIFY(errors.wait(5000));
    QCOMPARE(errors.first().at(0).value<Client::Error>(), Client::AuthenticationError);
    // The words say the token was refused, on every Qt version (the
    // WebSocket's own error text differs between them).
    QVERIFY2(errors.first().at(1).toString().contains(QLatin1String("Access refused")),
             qPrintable(errors.first().at(1).toString()));
    QCOMPARE(client.status(), Client::Disconnected);
    // No retry loop on a refused token.
    QTest::qWait(600);
    QCOMPARE(errors.size(), 1);
}

void tst_Client::editsThroughSetData()
{
    Client client;
    watch(client);
    client.setToken(TestServer::token(QStringLiteral("auth")));
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(ready.wait(10000));
    TableModel *pets = client.table(QStringLiteral("pets"));
    const int row = pets->indexOfKey({QStringLiteral("Dog"), QStringLiteral("Beagle"), QStringLiteral("Rex")});
    const int color = pets->schema().columnIndex(QStringLiteral("color"));
    QVERIFY(row >= 0 && color >= 0);
    const QModelIndex cell = pets->index(row, color);
    QVERIFY(pets->flags(cell) & Qt::ItemIsEditable);

    QSignalSpy changed(pets, &QAbstractItemModel::dataChanged);
    QVERIFY(pets->setData(cell, 42));
    QVERIFY(changed.wait(5000));
    QCOMPARE(changed.first().at(0).toModelIndex(), cell);
    QCOMPARE(pets->data(cell).toInt(), 42);
    QCOMPARE(m_db.rows(QStringLiteral("SELECT color FROM api.pets WHERE name = 'Rex'")).at(0).toObject()
                 .value(QLatin1String("color")).toInt(), 42);
}

void tst_Client::refusedEditReverts()
{
    Client client;
    watch(client);
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(ready.wait(10000));
    TableModel *pets = client.table(QStringLiteral("pets"));
    // Anonymous: read only, and the model says so.
    const QModelIndex cell = pets->index(0, pets->schema().columnIndex(QStringLiteral("color")));
    QVERIFY(!(pets->flags(cell) & Qt::ItemIsEditable));
    QVERIFY(!pets->setData(cell, 7));
    // A write attempt anyway fails with a readable error and changes nothing.
    Reply *reply = pets->update({QStringLiteral("Dog")}, {{QStringLiteral("color"), 7}});
    QSignalSpy done(reply, &Reply::finished);
    QVERIFY(done.wait(5000));
    QCOMPARE(reply->error(), Reply::Unauthorized);
    QVERIFY(modelEqualsTable(pets));
}

void tst_Client::stopDisconnects()
{
    Client client;
    watch(client);
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(ready.wait(10000));
    client.stop();
    QCOMPARE(client.status(), Client::Disconnected);
    // The cache stays readable after stop().
    QCOMPARE(client.table(QStringLiteral("pets"))->rowCount(), 2);
}

QTEST_MAIN(tst_Client)
#include "tst_client.moc"
