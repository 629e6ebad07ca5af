// The pets walk-through of the quickstart, asserted: real PostgreSQL, the
// real server binary, two real clients (auth token and anonymous).

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

class tst_Quickstart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void walkThrough();
    void anonymousWriteIsRefused();
    void cleanupTestCase();

private:
    // Starts a client and attaches a model tester to each model before it fills.
    void startClient(Client &client, const QString &token);
    static QVariantMap pet(const QString &type, const QString &breed, const QString &name);

    TestDatabase m_db{QStringLiteral("tst_quickstart")};
    TestServer m_server;
    QList<QAbstractItemModelTester *> m_testers;
};

void tst_Quickstart::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

void tst_Quickstart::cleanupTestCase()
{
    qDeleteAll(m_testers);
    m_server.stop();
}

void tst_Quickstart::startClient(Client &client, const QString &token)
{
    client.setUrl(m_server.url());
    client.setToken(token);
    connect(&client, &Client::tableAdded, this, [this](TableModel *model) {
        QCOMPARE(model->rowCount(), 0);
        m_testers.append(new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest));
    });
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(ready.wait(10000));
    QCOMPARE(client.status(), Client::Ready);
    QCOMPARE(client.progress(), 1.0);
    QVERIFY(client.table(QStringLiteral("pets")));
}

QVariantMap tst_Quickstart::pet(const QString &type, const QString &breed, const QString &name)
{
    return {{QStringLiteral("type"), type}, {QStringLiteral("breed"), breed}, {QStringLiteral("name"), name}};
}

static QVariantList sortedByName(QVariantList rows)
{
    std::sort(rows.begin(), rows.end(), [](const QVariant &a, const QVariant &b) {
        return a.toMap().value(QStringLiteral("name")).toString() < b.toMap().value(QStringLiteral("name")).toString();
    });
    return rows;
}

void tst_Quickstart::walkThrough()
{
    Client client;
    Client watcher;
    startClient(client, TestServer::token(QStringLiteral("auth")));
    startClient(watcher, QString());
    TableModel *pets = client.table(QStringLiteral("pets"));
    TableModel *watched = watcher.table(QStringLiteral("pets"));
    QVERIFY(pets->isEditable());
    QVERIFY(!watched->isEditable());

    QSignalSpy events(&client, &Client::event);
    QSignalSpy watcherEvents(&watcher, &Client::event);
    QSignalSpy watcherUpdated(&watcher, &Client::updated);

    // We got some new fish and a dog, in one batch.
    Reply *created = pets->create(QList<QVariantMap>{
        pets->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Aqui")}),
        pets->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Luna")}),
        pets->makeRow({QStringLiteral("Dog"), QStringLiteral("Shiba Inu")},
                      {{QStringLiteral("name"), QStringLiteral("Munch")}, {QStringLiteral("color"), 16766362}}),
    });
    QSignalSpy createdDone(created, &Reply::finished);
    QVERIFY(createdDone.wait(5000));
    QCOMPARE(created->error(), Reply::NoError);
    QCOMPARE(created->httpStatus(), 201);
    QCOMPARE(created->errorCode(), QString());
    QCOMPARE(created->rows().size(), 3);
    const QVariantMap munch = created->rows().at(2).toMap();
    QCOMPARE(munch.value(QStringLiteral("name")).toString(), QStringLiteral("Munch"));
    QCOMPARE(munch.value(QStringLiteral("groomed")).toBool(), false);
    QCOMPARE(munch.value(QStringLiteral("color")).toInt(), 16766362);

    // Might as well groom all of our dogs.
    Reply *groomed = pets->update({QStringLiteral("Dog")}, {{QStringLiteral("groomed"), true}});
    QSignalSpy groomedDone(groomed, &Reply::finished);
    QVERIFY(groomedDone.wait(5000));
    QCOMPARE(groomed->error(), Reply::NoError);
    QCOMPARE(groomed->rows().size(), 1);

    // Oh no! We knocked the koi tank over.
    Reply *removed = pets->remove({QStringLiteral("Fish"), QStringLiteral("Koi")});
    QSignalSpy removedDone(removed, &Reply::finished);
    QVERIFY(removedDone.wait(5000));
    QCOMPARE(removed->error(), Reply::NoError);
    QCOMPARE(removed->rows().size(), 2);

    // Both clients see create, update and delete, in that order.
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 3, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(watcherEvents.size(), 3, 5000);
    for (QSignalSpy *spy : {&events, &watcherEvents}) {
        QCOMPARE(spy->at(0).at(0).toString(), QStringLiteral("create"));
        QCOMPARE(spy->at(0).at(1).toString(), QStringLiteral("pets"));
        QCOMPARE(spy->at(0).at(2).toList().size(), 3);
        QCOMPARE(spy->at(1).at(0).toString(), QStringLiteral("update"));
        QCOMPARE(spy->at(2).at(0).toString(), QStringLiteral("delete"));
        QCOMPARE(sortedByName(spy->at(2).at(2).toList()).at(0).toMap().value(QStringLiteral("name")).toString(),
                 QStringLiteral("Aqui"));
    }
    // The update carries the old and the new row.
    QCOMPARE(watcherUpdated.size(), 1);
    const QVariantList oldRows = watcherUpdated.at(0).at(1).toList();
    const QVariantList newRows = watcherUpdated.at(0).at(2).toList();
    QCOMPARE(oldRows.size(), 1);
    QCOMPARE(oldRows.at(0).toMap().value(QStringLiteral("groomed")).toBool(), false);
    QCOMPARE(newRows.at(0).toMap().value(QStringLiteral("groomed")).toBool(), true);
    QCOMPARE(newRows.at(0).toMap().value(QStringLiteral("name")).toString(), QStringLiteral("Munch"));

    // Get all our fish, from the cache: none left.
    QVERIFY(pets->get({QStringLiteral("Fish")}).isEmpty());
    QCOMPARE(pets->get({QStringLiteral("Dog")}).size(), 1);
    QCOMPARE(pets->get({QStringLiteral("Dog")}).at(0).toMap().value(QStringLiteral("groomed")).toBool(), true);

    // Both models equal the table.
    const QJsonArray table = m_db.rows(QStringLiteral("SELECT * FROM api.pets"));
    for (TableModel *model : {pets, watched}) {
        QCOMPARE(model->rowCount(), table.size());
        for (const QJsonValue &row : table) {
            const QJsonObject o = row.toObject();
            const int r = model->indexOfKey({o.value(QLatin1String("type")).toString(), o.value(QLatin1String("breed")).toString(),
                                             o.value(QLatin1String("name")).toString()});
            QVERIFY(r >= 0);
            QCOMPARE(QJsonObject::fromVariantMap(model->row(r)), o);
        }
    }
}

void tst_Quickstart::anonymousWriteIsRefused()
{
    Client watcher;
    startClient(watcher, QString());
    TableModel *pets = watcher.table(QStringLiteral("pets"));
    const QJsonArray before = m_db.rows(QStringLiteral("SELECT * FROM api.pets ORDER BY 1, 2, 3"));

    Reply *reply = pets->create(pet(QStringLiteral("Cat"), QStringLiteral("Tabby"), QStringLiteral("Tom")));
    QSignalSpy failed(reply, &Reply::errorOccurred);
    QSignalSpy done(reply, &Reply::finished);
    QVERIFY(done.wait(5000));
    QCOMPARE(failed.size(), 1);
    QCOMPARE(reply->error(), Reply::Unauthorized);
    QCOMPARE(reply->httpStatus(), 401);
    QCOMPARE(reply->errorCode(), QStringLiteral("42501"));
    QVERIFY2(reply->errorString().contains(QLatin1String("permission denied")), qPrintable(reply->errorString()));

    // The future of a failed write is cancelled, so continuations stop there.
    QVERIFY(reply->future().isCanceled());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT * FROM api.pets ORDER BY 1, 2, 3")), before);
}

QTEST_MAIN(tst_Quickstart)
#include "tst_quickstart.moc"
