// Subset models (Client::model(table, query), issue 18) against the real
// server and PostgreSQL: after every write the model equals the REST answer
// for its query; rows that come to match are insertions, rows that stop
// matching removals, changes inside dataChanged; whole-table and subset
// models of one table side by side; select= columns; refused queries; the
// subscription limit freed by deleting a model; re-subscribing after a
// server restart.

#include "testclient.h"
#include "testdatabase.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QtTest>

#include <algorithm>

using namespace Aiodata;
using namespace Qt::StringLiterals;

namespace {

// Structural signals of a model, counted.
struct Counts
{
    explicit Counts(QAbstractItemModel *model)
        : inserted(model, &QAbstractItemModel::rowsInserted)
        , removed(model, &QAbstractItemModel::rowsRemoved)
        , changed(model, &QAbstractItemModel::dataChanged)
        , reset(model, &QAbstractItemModel::modelReset)
    {
    }
    QSignalSpy inserted;
    QSignalSpy removed;
    QSignalSpy changed;
    QSignalSpy reset;
};

// Rows as sorted compact JSON texts: REST answers come in no promised order.
QStringList texts(const QJsonArray &rows)
{
    QStringList result;
    for (const QJsonValue &row : rows)
        result.append(QString::fromUtf8(QJsonDocument(row.toObject()).toJson(QJsonDocument::Compact)));
    std::sort(result.begin(), result.end());
    return result;
}

QJsonArray modelRows(const TableModel *model)
{
    QJsonArray rows;
    for (int row = 0; row < model->rowCount(); ++row)
        rows.append(QJsonObject::fromVariantMap(model->row(row)));
    return rows;
}

} // namespace

class tst_SubsetsClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void fillsWithRestAnswer_data();
    void fillsWithRestAnswer();
    void followsWrites_data();
    void followsWrites();
    void restWrite();
    void subsetsSideBySide();
    void selectedColumns();
    void refusedQuery_data();
    void refusedQuery();
    void deletingFreesTheSubscription();
    void resubscribesAfterServerRestart();
    void droppedColumnEndsTheSubset();

private:
    // A ready client syncing the whole pets table, with model testers.
    bool startClient(Client &client);
    // A subset model, loaded, with a model tester.
    TableModel *loadedSubset(Client &client, const QString &query);
    // GET /query/pets?<query> with the model's columns (the key included), as the anon role.
    QJsonArray restAnswer(const TableModel *model);
    bool equalsRest(const TableModel *model);
    bool tableSynced(const TableModel *pets);

    TestDatabase m_db{QStringLiteral("tst_subsets_client")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
};

void tst_SubsetsClient::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // For droppedColumnEndsTheSubset: a table whose shape may change.
    QVERIFY2(m_db.exec(u"CREATE TABLE api.toys (id int PRIMARY KEY, kind text, extra int);"
                      "GRANT SELECT ON api.toys TO anon; GRANT ALL ON api.toys TO auth;"
                      "INSERT INTO api.toys VALUES (1, 'ball', 1), (2, 'ball', 2), (3, 'rope', 1)"_s, &error),
             qPrintable(error));
    // A small limit, so that deletingFreesTheSubscription can reach it.
    m_server.environment.insert(u"AIODATA_MAX_SUBSCRIPTIONS"_s, u"3"_s);
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error, TestServer::freePort()), qPrintable(error));
}

void tst_SubsetsClient::init()
{
    QVERIFY(m_db.exec(u"TRUNCATE api.pets; INSERT INTO api.pets VALUES "
                      "('Dog', 'Beagle', 'Rex', 1, false), ('Dog', 'Poodle', 'Fifi', 7, true), "
                      "('Dog', 'Pug', 'Max', 9, false), ('Cat', 'Tabby', 'Tom', 2, true), "
                      "('Cat', 'Siamese', 'Mia', 8, false), ('Fish', 'Koi', 'Aqui', 6, false)"_s));
    if (!m_server.isRunning()) {
        QString error;
        QVERIFY2(m_server.restart(&error), qPrintable(error));
    }
}

bool tst_SubsetsClient::startClient(Client &client)
{
    client.setSyncedTables({u"pets"_s});
    return startTestClient(client, m_server.url());
}

TableModel *tst_SubsetsClient::loadedSubset(Client &client, const QString &query)
{
    TableModel *model = client.model(u"pets"_s, query);
    if (!model)
        return nullptr;
    new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest, model);
    QSignalSpy loaded(model, &TableModel::loadedChanged);
    if (!model->isLoaded() && !loaded.wait(10000)) {
        qWarning() << "subset" << query << "not loaded:" << model->errorString();
        return nullptr;
    }
    return model;
}

QJsonArray tst_SubsetsClient::restAnswer(const TableModel *model)
{
    // The user's filter; select= names the model's columns, as the fill does.
    QStringList items = model->query().split(u'&', Qt::SkipEmptyParts);
    items.removeIf([](const QString &item) { return item.startsWith("select="_L1); });
    items.append(u"select="_s + model->columnNames().join(u','));
    QUrl url = m_server.url();
    url.setPath(u"/query/pets"_s);
    url.setQuery(items.join(u'&'));
    QNetworkReply *reply = m_nam.get(QNetworkRequest(url));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    reply->deleteLater();
    return QJsonDocument::fromJson(reply->readAll()).array();
}

bool tst_SubsetsClient::equalsRest(const TableModel *model)
{
    return texts(modelRows(model)) == texts(restAnswer(model));
}

bool tst_SubsetsClient::tableSynced(const TableModel *pets)
{
    return texts(modelRows(pets)) == texts(m_db.rows(u"SELECT * FROM api.pets"_s));
}

void tst_SubsetsClient::fillsWithRestAnswer_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("rows");
    QTest::newRow("eq") << u"type=eq.Dog"_s << 3;
    QTest::newRow("gt and not") << u"color=gt.5&type=not.eq.Fish"_s << 3;
    QTest::newRow("or tree") << u"or=(name.eq.Rex,and(type.eq.Cat,groomed.is.true))"_s << 2;
    QTest::newRow("in, quoted") << u"name=in.(\"Rex\",Tom)"_s << 2;
    QTest::newRow("like with space-free pattern") << u"breed=like.P*"_s << 2;
    QTest::newRow("nothing matches") << u"type=eq.Bird"_s << 0;
}

void tst_SubsetsClient::fillsWithRestAnswer()
{
    QFETCH(QString, query);
    QFETCH(int, rows);
    Client client;
    QVERIFY(startClient(client));
    TableModel *subset = loadedSubset(client, query);
    QVERIFY(subset);
    QCOMPARE(subset->rowCount(), rows);
    QVERIFY(equalsRest(subset));
    QVERIFY(subset->errorString().isEmpty());
    // The whole table stays whole.
    QCOMPARE(client.table(u"pets"_s)->rowCount(), 6);
}

// The subset "color=gt.5" holds Fifi 7, Max 9, Mia 8, Aqui 6.
void tst_SubsetsClient::followsWrites_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<int>("inserted");
    QTest::addColumn<int>("removed");
    QTest::addColumn<int>("changed");
    QTest::newRow("move-in by update") << u"UPDATE api.pets SET color = 10 WHERE name = 'Rex'"_s << 1 << 0 << 0;
    QTest::newRow("move-out by update") << u"UPDATE api.pets SET color = 3 WHERE name = 'Max'"_s << 0 << 1 << 0;
    QTest::newRow("change inside") << u"UPDATE api.pets SET color = 11 WHERE name = 'Fifi'"_s << 0 << 0 << 1;
    QTest::newRow("change outside") << u"UPDATE api.pets SET groomed = true WHERE name = 'Rex'"_s << 0 << 0 << 0;
    QTest::newRow("key change inside") << u"UPDATE api.pets SET name = 'Maximus' WHERE name = 'Max'"_s << 1 << 1 << 0;
    QTest::newRow("key change moving in") << u"UPDATE api.pets SET name = 'Rexy', color = 12 WHERE name = 'Rex'"_s << 1 << 0 << 0;
    QTest::newRow("insert matching") << u"INSERT INTO api.pets VALUES ('Bird', 'Parrot', 'Polly', 20, false)"_s << 1 << 0 << 0;
    QTest::newRow("insert not matching") << u"INSERT INTO api.pets VALUES ('Bird', 'Parrot', 'Polly', 1, false)"_s << 0 << 0 << 0;
    QTest::newRow("delete inside") << u"DELETE FROM api.pets WHERE name = 'Mia'"_s << 0 << 1 << 0;
    QTest::newRow("delete outside") << u"DELETE FROM api.pets WHERE name = 'Tom'"_s << 0 << 0 << 0;
    QTest::newRow("one transaction, in and out")
        << u"UPDATE api.pets SET color = 0 WHERE name = 'Aqui'; UPDATE api.pets SET color = 30 WHERE name = 'Tom'"_s << 1 << 1 << 0;
    QTest::newRow("truncate") << u"TRUNCATE api.pets"_s << 0 << 1 << 0;
}

void tst_SubsetsClient::followsWrites()
{
    QFETCH(QString, sql);
    QFETCH(int, inserted);
    QFETCH(int, removed);
    QFETCH(int, changed);
    Client client;
    QVERIFY(startClient(client));
    TableModel *pets = client.table(u"pets"_s);
    TableModel *subset = loadedSubset(client, u"color=gt.5"_s);
    QVERIFY(subset);
    QCOMPARE(subset->rowCount(), 4);
    Counts counts(subset);

    QVERIFY(m_db.exec(sql));
    // The whole table's change and the subset's come in one message.
    QTRY_VERIFY_WITH_TIMEOUT(tableSynced(pets), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(equalsRest(subset), 5000);
    QTest::qWait(100); // nothing more follows
    QVERIFY(equalsRest(subset));
    QCOMPARE(counts.inserted.size(), inserted);
    QCOMPARE(counts.removed.size(), removed);
    QCOMPARE(counts.changed.size(), changed);
    QCOMPARE(counts.reset.size(), 0);
}

// A write through the REST API (another client's model) moves a row in.
void tst_SubsetsClient::restWrite()
{
    Client client;
    QVERIFY(startClient(client));
    TableModel *cats = loadedSubset(client, u"type=eq.Cat&groomed=is.true"_s);
    QVERIFY(cats);
    QCOMPARE(cats->rowCount(), 1);
    Client writer;
    QVERIFY(startTestClient(writer, m_server.url(), TestServer::token(u"auth"_s)));
    QSignalSpy inserted(cats, &QAbstractItemModel::rowsInserted);
    Reply *reply = writer.table(u"pets"_s)->update({u"Cat"_s, u"Siamese"_s, u"Mia"_s}, {{u"groomed"_s, true}});
    QSignalSpy done(reply, &Reply::finished);
    QVERIFY(done.wait(5000));
    QCOMPARE(reply->error(), Reply::NoError);
    // The event may come before the write's answer.
    QTRY_COMPARE_WITH_TIMEOUT(inserted.size(), 1, 5000);
    QCOMPARE(cats->rowCount(), 2);
    QVERIFY(equalsRest(cats));
}

// Two subsets of one table and its whole-table model: each sees its own rows.
void tst_SubsetsClient::subsetsSideBySide()
{
    Client client;
    QVERIFY(startClient(client));
    TableModel *pets = client.table(u"pets"_s);
    TableModel *dogs = loadedSubset(client, u"type=eq.Dog"_s);
    TableModel *cats = loadedSubset(client, u"type=eq.Cat"_s);
    QVERIFY(dogs && cats);
    QCOMPARE(dogs->rowCount(), 3);
    QCOMPARE(cats->rowCount(), 2);
    Counts dogCounts(dogs);
    Counts catCounts(cats);
    Counts petCounts(pets);

    QVERIFY(m_db.exec(u"UPDATE api.pets SET color = 42 WHERE name = 'Rex'"_s));
    QTRY_VERIFY_WITH_TIMEOUT(tableSynced(pets), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(equalsRest(dogs), 5000);
    QTest::qWait(100);
    QCOMPARE(dogCounts.changed.size(), 1);
    QCOMPARE(petCounts.changed.size(), 1);
    QCOMPARE(catCounts.changed.size() + catCounts.inserted.size() + catCounts.removed.size(), 0);

    // A cat becomes a dog: out of one subset, into the other, a change in the table.
    QVERIFY(m_db.exec(u"UPDATE api.pets SET type = 'Dog' WHERE name = 'Tom'"_s));
    QTRY_VERIFY_WITH_TIMEOUT(tableSynced(pets), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(equalsRest(dogs) && equalsRest(cats), 5000);
    QCOMPARE(dogs->rowCount(), 4);
    QCOMPARE(cats->rowCount(), 1);
    QCOMPARE(dogCounts.inserted.size(), 1);
    QCOMPARE(catCounts.removed.size(), 1);
    QCOMPARE(pets->rowCount(), 6);
}

void tst_SubsetsClient::selectedColumns()
{
    Client client;
    QVERIFY(startClient(client));
    TableModel *dogs = loadedSubset(client, u"type=eq.Dog&select=color"_s);
    QVERIFY(dogs);
    QCOMPARE(dogs->columnNames(), (QStringList{u"type"_s, u"breed"_s, u"name"_s, u"color"_s}));
    QCOMPARE(dogs->row(0), (QVariantMap{{u"type"_s, u"Dog"_s}, {u"breed"_s, u"Beagle"_s}, {u"name"_s, u"Rex"_s}, {u"color"_s, 1}}));
    QVERIFY(equalsRest(dogs));
    Counts counts(dogs);
    // A column the subset does not hold: nothing to show.
    QVERIFY(m_db.exec(u"UPDATE api.pets SET groomed = NOT groomed WHERE name = 'Rex'"_s));
    QVERIFY(m_db.exec(u"UPDATE api.pets SET color = 5 WHERE name = 'Rex'"_s));
    QVERIFY(counts.changed.wait(10000));
    QTest::qWait(100);
    QCOMPARE(counts.changed.size(), 1);
    const QModelIndex topLeft = counts.changed.first().at(0).toModelIndex();
    const QModelIndex bottomRight = counts.changed.first().at(1).toModelIndex();
    QCOMPARE(topLeft.row(), 0);
    QCOMPARE(topLeft.column(), 3);
    QCOMPARE(bottomRight.column(), 3);
    QCOMPARE(dogs->row(0).value(u"color"_s).toInt(), 5);
    QVERIFY(equalsRest(dogs));
}

void tst_SubsetsClient::refusedQuery_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("words");
    QTest::newRow("unknown column") << u"colour=eq.1"_s << u"42703"_s << u"colour"_s;
    QTest::newRow("syntax") << u"color=eqq.1"_s << u"PGRST100"_s << QString();
    QTest::newRow("order") << u"type=eq.Dog&order=name"_s << u"AIODATA007"_s << QString();
}

void tst_SubsetsClient::refusedQuery()
{
    QFETCH(QString, query);
    QFETCH(QString, code);
    QFETCH(QString, words);
    Client client;
    QVERIFY(startClient(client));
    TableModel *model = client.model(u"pets"_s, query);
    QVERIFY(model);
    QSignalSpy errors(model, &TableModel::errorOccurred);
    QVERIFY(errors.wait(10000));
    const QString message = errors.first().first().toString();
    QVERIFY(!message.isEmpty());
    QCOMPARE(model->errorString(), message);
    QVERIFY2(message.contains(words), qPrintable(message));
    if (!code.isEmpty())
        QCOMPARE(model->errorCode(), code);
    QVERIFY(!model->isLoaded());
    QCOMPARE(model->rowCount(), 0);
    // The connection is fine.
    QCOMPARE(client.status(), Client::Ready);
}

// The server counts subscriptions per connection (3 here): deleting a model
// unsubscribes, which makes room for another.
void tst_SubsetsClient::deletingFreesTheSubscription()
{
    Client client;
    QVERIFY(startClient(client));
    TableModel *first = loadedSubset(client, u"type=eq.Dog"_s);
    QVERIFY(first);
    QVERIFY(loadedSubset(client, u"type=eq.Cat"_s));
    QVERIFY(loadedSubset(client, u"type=eq.Fish"_s));
    TableModel *fourth = client.model(u"pets"_s, u"type=eq.Bird"_s);
    QSignalSpy refused(fourth, &TableModel::errorOccurred);
    QVERIFY(refused.wait(10000));
    QCOMPARE(fourth->errorCode(), u"AIODATA008"_s);
    delete fourth;

    delete first;
    QVERIFY(!client.subsets().contains(first));
    TableModel *again = loadedSubset(client, u"color=gt.5"_s);
    QVERIFY2(again, "the deleted model's subscription still counts");
    QCOMPARE(again->rowCount(), 4);
}

// At a schema reload the server ends a subset whose filter names a dropped
// column; the model says so, and another subset of the table lives on.
void tst_SubsetsClient::droppedColumnEndsTheSubset()
{
    Client client;
    QVERIFY(startClient(client));
    TableModel *extra = client.model(u"toys"_s, u"extra=eq.1"_s);
    TableModel *balls = client.model(u"toys"_s, u"kind=eq.ball&select=kind"_s);
    QVERIFY(extra && balls);
    QTRY_VERIFY_WITH_TIMEOUT(extra->isLoaded() && balls->isLoaded(), 10000);
    QCOMPARE(extra->rowCount(), 2);
    QCOMPARE(balls->rowCount(), 2);
    QSignalSpy ended(extra, &TableModel::errorOccurred);
    QSignalSpy ballErrors(balls, &TableModel::errorOccurred);

    QVERIFY(m_db.exec(u"ALTER TABLE api.toys DROP COLUMN extra; NOTIFY pgrst, 'reload schema'"_s));
    QVERIFY(ended.wait(10000));
    QCOMPARE(extra->errorCode(), u"42703"_s);
    QVERIFY2(extra->errorString().contains(u"extra"_s), qPrintable(extra->errorString()));
    QCOMPARE(extra->rowCount(), 2); // its last rows stay readable

    QSignalSpy inserted(balls, &QAbstractItemModel::rowsInserted);
    QVERIFY(m_db.exec(u"INSERT INTO api.toys VALUES (4, 'ball')"_s));
    QVERIFY(inserted.wait(10000));
    QCOMPARE(balls->rowCount(), 3);
    QCOMPARE(ballErrors.size(), 0);
    QCOMPARE(client.status(), Client::Ready);
}

// Subsets are not resumed: after the server restarts the client subscribes
// again and merges the new fill, so only rows that changed meanwhile signal.
void tst_SubsetsClient::resubscribesAfterServerRestart()
{
    Client client;
    QVERIFY(startClient(client));
    TableModel *subset = loadedSubset(client, u"color=gt.5"_s);
    QVERIFY(subset);
    Counts counts(subset);
    QSignalSpy ready(&client, &Client::ready);

    m_server.stop();
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), Client::Reconnecting, 5000);
    QVERIFY(m_db.exec(u"UPDATE api.pets SET color = 20 WHERE name = 'Rex';"   // in
                      "UPDATE api.pets SET color = 1 WHERE name = 'Max';"     // out
                      "UPDATE api.pets SET color = 21 WHERE name = 'Fifi'"_s)); // changed
    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    QVERIFY(ready.wait(15000));
    QTRY_VERIFY_WITH_TIMEOUT(equalsRest(subset), 10000);
    QCOMPARE(counts.reset.size(), 0);
    QCOMPARE(counts.inserted.size(), 1);
    QCOMPARE(counts.removed.size(), 1);
    QCOMPARE(counts.changed.size(), 1);

    // And it follows writes again.
    QVERIFY(m_db.exec(u"UPDATE api.pets SET color = 22 WHERE name = 'Tom'"_s));
    QVERIFY(counts.inserted.wait(10000));
    QVERIFY(equalsRest(subset));
}

QTEST_MAIN(tst_SubsetsClient)
#include "tst_subsets_client.moc"
