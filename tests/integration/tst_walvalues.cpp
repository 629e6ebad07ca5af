// Values that reach subscribers through logical replication are the same
// JSON that the REST API gives for the same rows, type by type, in several
// session time zones and float settings: a client must never see a row
// change its looks depending on how it arrived (snapshot or event).

#include "testdatabase.h"
#include "statesubscriber.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QWebSocket>
#include <QtTest>

#include <algorithm>

// Declared before the SQL below: moc does not read raw string literals.
class tst_WalValues : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void eventsMatchRest_data();
    void eventsMatchRest();

private:
    QJsonArray restRows(const TestServer &server, const QString &table);

    TestDatabase m_db{QStringLiteral("tst_walvalues")};
    QNetworkAccessManager m_nam;
};

namespace {

const char Schema[] = R"(
DO $$ BEGIN CREATE TYPE api.mood AS ENUM ('sad', 'ok', 'happy'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE DOMAIN api.posint AS int CHECK (VALUE > 0); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE api.kinds (
  id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8, n numeric,
  t text, vc varchar(20), c char(5), nm name, u uuid, j json, jb jsonb,
  d date, ts timestamp, tz timestamptz, tm time, ttz timetz, iv interval,
  e api.mood, dm api.posint, a int[], ta text[], by bytea, big text, ea api.mood[], da api.posint[]);
ALTER TABLE api.kinds REPLICA IDENTITY FULL;
-- Only the types the server formats itself (WalValueFormatter): no query per transaction.
CREATE TABLE api.plain (id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
  n numeric, t text, vc varchar(20), c char(5), nm name, u uuid, j json, jb jsonb, d date, ts timestamp,
  tz timestamptz, big text);
ALTER TABLE api.plain REPLICA IDENTITY FULL;
GRANT SELECT ON api.kinds, api.plain TO anon, auth;
)";

// Every type at its edges: NaN and infinities, negative zero, the largest
// integers, escapes and non-BMP text, json with its own spacing, BC dates,
// 24:00, historic offsets with seconds (Europe/London before 1847), a
// TOASTed text.
const char Rows[] = R"(
INSERT INTO api.kinds VALUES
 (1, true, -32768, 2147483647, 9223372036854775807, 4294967295, 'NaN', 'Infinity', 'NaN',
  E'q" b\\ n\n t\t bell\x07 \u00e9 \U0001F600 \u2028', 'vc', 'ab', 'nm', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a" : [1, 2.50, "x"]}', '{"b": {"c": null}, "a": 1.50}', 'infinity', '2024-02-29 23:59:59.999999',
  '2024-06-30 12:34:56.789+02', '24:00:00', '12:00+05:30', '1 year 2 mons 3 days 04:05:06.7',
  'happy', 5, '{1,NULL,3}', '{"a b",NULL,"c\"d"}', '\xdeadbeef', NULL, '{happy,NULL,sad}', '{1,2}'),
 (2, false, 0, 0, -1, 0, '-0', '1.17549435e-38', '3.141592653589793000', '', '', '', '',
  '00000000-0000-0000-0000-000000000000', 'null', '[]', '0044-03-15 BC', '0001-01-01 00:00:00',
  '1900-01-01 00:00:00+00', '00:00', '00:00+00', '-1 days', 'sad', 1, '{}', '{}', '\x', repeat('x', 10000), '{}', '{}'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, true, 1, -1, -9223372036854775808, 1, '-Infinity', '1e300', '-0.000001000', 'plain', 'x', 'abcde', 'x',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', '  [ ]  ', '"str"', '-infinity', '2000-01-01 00:00:00.5',
  '1847-12-01 12:00:00+00', '23:59:59.999999', '23:59:59-12', '-00:00:00.000001', 'ok', 2147483647,
  '{{1,2},{3,4}}', '{""}', '\x00', 'short', '{{ok,sad},{happy,ok}}', '{{1},{2}}'),
 (5, false, 2, 2, 2, 2, '0.1', '0.1', '1e-20', 'x', 'x', 'x', 'x', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
  '1e2', '12.0', '2024-01-01', '294276-12-31 23:59:59', '2024-01-01 00:00:00 BC', '12:00', '12:00-00:30',
  '178000000 years', 'ok', 3, '{-2147483648}', '{"NULL"}', '\x5c', E'\\', '{ok}', '{7}');
)";

// The events of api.kinds and api.plain a subscriber got, in order.
QList<QJsonObject> eventsOf(const StateSubscriber &subscriber)
{
    QList<QJsonObject> out;
    for (const QJsonObject &m : subscriber.messages) {
        for (const QJsonValue &e : StateSubscriber::eventsOf(m)) {
            const QString table = e[QLatin1String("table")].toString();
            if (table == QLatin1String("kinds") || table == QLatin1String("plain"))
                out.append(e.toObject());
        }
    }
    return out;
}

QJsonArray sortedById(QJsonArray rows)
{
    QList<QJsonValue> list(rows.begin(), rows.end());
    std::sort(list.begin(), list.end(), [](const QJsonValue &a, const QJsonValue &b) {
        return a[QLatin1String("id")].toInt() < b[QLatin1String("id")].toInt();
    });
    QJsonArray out;
    for (const QJsonValue &v : list)
        out.append(v);
    return out;
}

// Field by field, so that a failure names the column.
QString firstDifference(const QJsonArray &ours, const QJsonArray &rest)
{
    if (ours.size() != rest.size())
        return QStringLiteral("%1 rows, REST has %2").arg(ours.size()).arg(rest.size());
    for (qsizetype r = 0; r < ours.size(); ++r) {
        const QJsonObject a = ours.at(r).toObject();
        const QJsonObject b = rest.at(r).toObject();
        if (a.keys() != b.keys())
            return QStringLiteral("row %1: columns %2, REST %3").arg(r).arg(a.keys().join(u','), b.keys().join(u','));
        for (const QString &k : b.keys()) {
            if (a.value(k) != b.value(k)) {
                return QStringLiteral("row id %1, column %2: event %3, REST %4")
                    .arg(b.value(QLatin1String("id")).toInt())
                    .arg(k, QString::fromUtf8(QJsonDocument(QJsonArray{a.value(k)}).toJson(QJsonDocument::Compact)),
                         QString::fromUtf8(QJsonDocument(QJsonArray{b.value(k)}).toJson(QJsonDocument::Compact)));
            }
        }
    }
    return QString();
}

} // namespace


void tst_WalValues::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QString::fromUtf8(Schema), &error), qPrintable(error));
}

QJsonArray tst_WalValues::restRows(const TestServer &server, const QString &table)
{
    QNetworkRequest request(QUrl(server.url().toString() + QStringLiteral("/query/%1?order=id").arg(table)));
    request.setRawHeader("Authorization", "Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8());
    QNetworkReply *reply = m_nam.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    reply->deleteLater();
    return QJsonDocument::fromJson(reply->readAll()).array();
}

void tst_WalValues::eventsMatchRest_data()
{
    QTest::addColumn<QString>("settings"); // ALTER DATABASE ... SET, before the server starts
    QTest::newRow("UTC") << QStringLiteral("timezone = 'UTC'");
    QTest::newRow("Asia/Kolkata (+05:30)") << QStringLiteral("timezone = 'Asia/Kolkata'");
    QTest::newRow("America/St_Johns (-03:30)") << QStringLiteral("timezone = 'America/St_Johns'");
    QTest::newRow("Europe/London (LMT offsets with seconds)") << QStringLiteral("timezone = 'Europe/London'");
    QTest::newRow("extra_float_digits = 0") << QStringLiteral("extra_float_digits = 0");
    QTest::newRow("extra_float_digits = -3") << QStringLiteral("extra_float_digits = -3");
}

void tst_WalValues::eventsMatchRest()
{
    QFETCH(QString, settings);
    QString error;
    QVERIFY2(m_db.exec(QStringLiteral("TRUNCATE api.kinds, api.plain; ALTER DATABASE %1 RESET ALL; ALTER DATABASE %1 SET %2")
                           .arg(m_db.name(), settings),
                       &error),
             qPrintable(error));
    TestServer server;
    server.extraArguments = {QStringLiteral("--events"), QStringLiteral("wal")};
    // Every statement in the server's log, to tell which events needed a conversion query.
    server.environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("aiodata.server.sql.debug=true"));
    QVERIFY2(server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    StateSubscriber subscriber;
    subscriber.open(server.url(), TestServer::token(QStringLiteral("auth")));
    QVERIFY(subscriber.waitForHello());

    // One statement, then its event: the rows it carries equal what REST
    // gives before (old rows, deletes) or after (new rows) the statement.
    auto step = [&](const QString &sql, const QString &table, const QString &action) -> QString {
        const QJsonArray before = restRows(server, table);
        const qsizetype seen = eventsOf(subscriber).size();
        QString e;
        if (!m_db.exec(sql, &e))
            return e;
        if (!QTest::qWaitFor([&] { return eventsOf(subscriber).size() > seen; }, 10000))
            return QStringLiteral("no event");
        const QJsonObject event = eventsOf(subscriber).at(seen);
        if (event.value(QLatin1String("table")).toString() != table || event.value(QLatin1String("action")).toString() != action)
            return QStringLiteral("unexpected event ") + QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact));
        const QJsonArray after = restRows(server, table);
        if (after.isEmpty() && action != QLatin1String("delete"))
            return QStringLiteral("REST shows no rows");
        const QJsonArray rows = sortedById(event.value(QLatin1String("rows")).toArray());
        QString d = firstDifference(rows, action == QLatin1String("delete") ? before : after);
        if (d.isEmpty() && action == QLatin1String("update"))
            d = firstDifference(sortedById(event.value(QLatin1String("old")).toArray()), before);
        return d.isEmpty() ? d : action + QLatin1String(": ") + d;
    };
    const QString plainColumns = QStringLiteral("id, b, i2, i4, i8, o, f4, f8, n, t, vc, c, nm, u, j, jb, d, ts, tz, big");
    auto conversionQueries = [&server] { return server.output().count("json_to_recordset"); };

    QString difference = step(QString::fromUtf8(Rows), QStringLiteral("kinds"), QStringLiteral("create"));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    // Enums, intervals, arrays...: these went through PostgreSQL.
    QVERIFY(conversionQueries() > 0);
    const qsizetype queriesBefore = conversionQueries();
    difference = step(QStringLiteral("INSERT INTO api.plain SELECT %1 FROM api.kinds").arg(plainColumns),
                      QStringLiteral("plain"), QStringLiteral("create"));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));

    const QString update = QStringLiteral("UPDATE api.%1 SET t = coalesce(t, '') || '+', tz = tz + interval '1 hour 1 second'");
    difference = step(update.arg(QStringLiteral("kinds")), QStringLiteral("kinds"), QStringLiteral("update"));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    const qsizetype queriesAfterKinds = conversionQueries();
    difference = step(update.arg(QStringLiteral("plain")), QStringLiteral("plain"), QStringLiteral("update"));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    difference = step(QStringLiteral("DELETE FROM api.plain"), QStringLiteral("plain"), QStringLiteral("delete"));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    // The plain table's events were formatted in the server: no conversion
    // query ran for them (the kinds update ran one).
    QCOMPARE(conversionQueries(), queriesAfterKinds);
    QVERIFY(queriesAfterKinds > queriesBefore);
    difference = step(QStringLiteral("DELETE FROM api.kinds"), QStringLiteral("kinds"), QStringLiteral("delete"));
    QVERIFY2(difference.isEmpty(), qPrintable(difference));

    server.stop();
    QVERIFY(m_db.exec(QStringLiteral("ALTER DATABASE %1 RESET ALL").arg(m_db.name())));
}

QTEST_MAIN(tst_WalValues)
#include "tst_walvalues.moc"
