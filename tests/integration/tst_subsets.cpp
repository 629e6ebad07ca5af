// Live subsets on the wire (docs/protocol.md, "Subsets"): subscribe over
// /state with a PostgREST query, and after every transaction the subset a
// subscriber holds (by applying the subset's changes) equals what
// GET /query/<table>?<query> answers for the same role. Real PostgreSQL with
// logical replication, the real server, raw WebSockets.

#include "statesubscriber.h"
#include "testdatabase.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QtTest>

namespace {

using Rows = QMap<QString, QJsonObject>; // by key

QString keyOf(const QJsonObject &row)
{
    return QString::number(row.value(QLatin1String("id")).toInteger());
}

// What a client holds of one subset, from the changes that name it.
struct Held
{
    Rows rows;
    void apply(const QJsonObject &change)
    {
        const QString action = change.value(QLatin1String("action")).toString();
        const QJsonArray rowsOf = change.value(QLatin1String("rows")).toArray();
        if (action == QLatin1String("truncate")) {
            rows.clear();
        } else if (action == QLatin1String("delete")) {
            for (const QJsonValue &r : rowsOf)
                rows.remove(keyOf(r.toObject()));
        } else {
            if (action == QLatin1String("update")) {
                for (const QJsonValue &r : change.value(QLatin1String("old")).toArray())
                    rows.remove(keyOf(r.toObject()));
            }
            for (const QJsonValue &r : rowsOf)
                rows.insert(keyOf(r.toObject()), r.toObject());
        }
    }
};

// A subset change goes to its subset; "*" to every subset but those in "except".
template<typename Subsets>
void applyTo(Subsets &held, const QJsonObject &change)
{
    const QString subset = change.value(QLatin1String("subset")).toString();
    if (subset != QLatin1String("*")) {
        held[subset].apply(change);
        return;
    }
    QStringList except;
    for (const QJsonValue &e : change.value(QLatin1String("except")).toArray())
        except.append(e.toString());
    for (auto it = held.begin(); it != held.end(); ++it) {
        if (!except.contains(it.key()))
            it->apply(change);
    }
}

// The changes of the messages after *applied, which moves past them.
QList<QJsonObject> takeChanges(const StateSubscriber &subscriber, qsizetype &applied)
{
    QList<QJsonObject> changes;
    for (; applied < subscriber.messages.size(); ++applied) {
        for (const QJsonValue &change : StateSubscriber::eventsOf(subscriber.messages.at(applied)))
            changes.append(change.toObject());
    }
    return changes;
}

} // namespace

class tst_Subsets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void followsTheRestAnswer();
    void refusals_data();
    void refusals();
    void wholeStreamRefusesSubscriptions();
    void selectCutsColumns();
    void unsubscribeStops();
    void rowSecurityHoldsForSubsets();
    void droppedColumnEndsTheSubscription();

private:
    QJsonArray get(const QString &table, const QString &query, const QString &token = {});
    void write(const QString &sql);
    // Writes a marker row and waits until the subscriber has its event:
    // everything committed before it has reached the subscriber too.
    bool sync(StateSubscriber &subscriber);
    QJsonObject subscribe(StateSubscriber &subscriber, const QString &id, const QString &table, const QString &query);

    TestDatabase m_db{QStringLiteral("tst_subsets")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
    int m_marks = 0;
};

void tst_Subsets::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral(R"SQL(
CREATE TABLE api.items (id int PRIMARY KEY, kind text NOT NULL, price numeric, tags text[], note text,
                        size int4range, owner text, extra int);
GRANT SELECT ON api.items TO anon;
GRANT ALL ON api.items TO auth;
CREATE TABLE api.marks (id int PRIMARY KEY);
GRANT SELECT ON api.marks TO anon, auth;
CREATE TABLE api.owned (id int PRIMARY KEY, owner text NOT NULL, kind text NOT NULL);
ALTER TABLE api.owned REPLICA IDENTITY FULL;
ALTER TABLE api.owned ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON api.owned FOR SELECT USING (owner = current_setting('request.jwt.claims', true)::json->>'sub');
GRANT SELECT ON api.owned TO auth;
)SQL"),
                       &error),
             qPrintable(error));
    m_server.environment.insert(QStringLiteral("AIODATA_MAX_SUBSCRIPTIONS"), QStringLiteral("30"));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

QJsonArray tst_Subsets::get(const QString &table, const QString &query, const QString &token)
{
    QUrl url = m_server.url();
    url.setPath(QStringLiteral("/query/") + table);
    url.setQuery(query);
    QNetworkRequest r(url);
    if (!token.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    QNetworkReply *reply = m_nam.get(r);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!finished.wait(10000))
        return {};
    const QByteArray body = reply->readAll();
    reply->deleteLater();
    return QJsonDocument::fromJson(body).array();
}

void tst_Subsets::write(const QString &sql)
{
    QString error;
    QVERIFY2(m_db.exec(sql, &error), qPrintable(error));
}

bool tst_Subsets::sync(StateSubscriber &subscriber)
{
    const int id = ++m_marks;
    QString error;
    if (!m_db.exec(QStringLiteral("INSERT INTO api.marks VALUES (%1)").arg(id), &error))
        return false;
    return QTest::qWaitFor([&] { return subscriber.indexOfRow(QStringLiteral("marks"), id) >= 0; }, 10000);
}

QJsonObject tst_Subsets::subscribe(StateSubscriber &subscriber, const QString &id, const QString &table,
                                   const QString &query)
{
    const QJsonObject message{{QStringLiteral("type"), QStringLiteral("subscribe")},
                              {QStringLiteral("id"), id},
                              {QStringLiteral("table"), table},
                              {QStringLiteral("query"), query}};
    const qsizetype before = subscriber.messages.size();
    const_cast<QWebSocket &>(subscriber.socket())
        .sendTextMessage(QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
    QJsonObject reply;
    (void)QTest::qWaitFor( // no reply: the empty object fails the caller's check
        [&] {
            for (qsizetype i = before; i < subscriber.messages.size(); ++i) {
                const QJsonObject &m = subscriber.messages.at(i);
                if (m.value(QLatin1String("id")).toString() == id) {
                    reply = m;
                    return true;
                }
            }
            return false;
        },
        10000);
    return reply;
}

// Every subset, its changes applied after each transaction, equals the REST
// answer for the same query: moves in and out, key changes, deletes,
// truncate, NULLs, arrays, ranges, text search, or/and/not trees.
void tst_Subsets::followsTheRestAnswer()
{
    const QStringList queries = {
        QStringLiteral("kind=eq.a"),
        QStringLiteral("kind=neq.a"),
        QStringLiteral("price=gt.10"),
        QStringLiteral("price=lte.10&kind=in.(a,b)"),
        QStringLiteral("note=is.null"),
        QStringLiteral("note=ilike.*Fox*"),
        QStringLiteral("note=fts(english).jumping"),
        QStringLiteral("tags=cs.{red}"),
        QStringLiteral("size=ov.[5,8)"),
        QStringLiteral("or=(kind.eq.b,and(price.gt.20,note.not.is.null))"),
        QStringLiteral("not.or=(kind.eq.a,price.is.null)"),
        QStringLiteral("kind=like(any).{a*,c*}"),
        QStringLiteral("id=gte.3&select=id,kind"),
        QString(),
    };
    StateSubscriber subscriber;
    subscriber.open(m_server.url(), QString(), QStringLiteral("tables=marks"));
    QVERIFY(subscriber.waitForHello());
    for (qsizetype i = 0; i < queries.size(); ++i) {
        const QJsonObject reply = subscribe(subscriber, QString::number(i), QStringLiteral("items"), queries.at(i));
        QCOMPARE(reply.value(QLatin1String("type")).toString(), QStringLiteral("subscribed"));
    }
    QMap<QString, Held> held;
    for (qsizetype i = 0; i < queries.size(); ++i)
        held.insert(QString::number(i), Held());
    qsizetype applied = 0;
    const QStringList writes = {
        QStringLiteral("INSERT INTO api.items VALUES (1, 'a', 5, '{red,blue}', 'The quick brown fox', '[1,4)'),"
                       " (2, 'b', 15, '{green}', NULL, '[6,9)'), (3, 'c', NULL, NULL, 'jumping over', NULL)"),
        QStringLiteral("UPDATE api.items SET kind = 'b' WHERE id = 1"),         // out of kind=eq.a
        QStringLiteral("UPDATE api.items SET kind = 'a', price = 25 WHERE id = 2"), // into it
        QStringLiteral("UPDATE api.items SET note = 'a fox' WHERE id = 2"),     // stays inside
        QStringLiteral("UPDATE api.items SET id = 7 WHERE id = 3"),             // a key change
        QStringLiteral("BEGIN; INSERT INTO api.items VALUES (4, 'c2', 11, '{red}', 'Foxes are jumping', '[7,7]');"
                       " UPDATE api.items SET tags = '{red}' WHERE id = 2; DELETE FROM api.items WHERE id = 1; COMMIT"),
        QStringLiteral("UPDATE api.items SET price = price + 10"),
        QStringLiteral("DELETE FROM api.items WHERE kind = 'a'"),
        QStringLiteral("TRUNCATE api.items"),
        QStringLiteral("INSERT INTO api.items VALUES (5, 'a', 1, '{}', NULL, 'empty'), (6, 'b', 30, '{red}', 'x', NULL)"),
    };
    for (const QString &sql : writes) {
        write(sql);
        QVERIFY(sync(subscriber));
        for (const QJsonObject &c : takeChanges(subscriber, applied)) {
            if (c.contains(QLatin1String("subset")))
                applyTo(held, c);
            else
                QCOMPARE(c.value(QLatin1String("table")).toString(), QStringLiteral("marks")); // no whole items
        }
        for (qsizetype i = 0; i < queries.size(); ++i) {
            Rows expected;
            for (const QJsonValue &r : get(QStringLiteral("items"), queries.at(i)))
                expected.insert(keyOf(r.toObject()), r.toObject());
            const Held &mine = held[QString::number(i)];
            QJsonArray holds;
            for (const QJsonObject &r : mine.rows)
                holds.append(r);
            QVERIFY2(mine.rows == expected,
                     qPrintable(QStringLiteral("after \"%1\", subset \"%2\": holds %3, REST answers keys %4")
                                    .arg(sql, queries.at(i),
                                         QString::fromUtf8(QJsonDocument(holds).toJson(QJsonDocument::Compact)),
                                         QStringList(expected.keys()).join(QLatin1Char(',')))));
        }
    }
}

void tst_Subsets::refusals_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("code");
    QTest::newRow("syntax") << "items" << "kind=zz.a" << "PGRST100";
    QTest::newRow("unknown column") << "items" << "nope=eq.1" << "42703";
    QTest::newRow("unknown select column") << "items" << "select=id,nope" << "42703";
    QTest::newRow("unknown table") << "nothere" << "" << "PGRST205";
    QTest::newRow("order") << "items" << "order=id" << "AIODATA007";
    QTest::newRow("limit") << "items" << "limit=3" << "AIODATA007";
    QTest::newRow("alias") << "items" << "select=id,k:kind" << "AIODATA007";
    QTest::newRow("embedding") << "items" << "select=id,marks(id)" << "AIODATA007";
    QTest::newRow("unreadable table") << "owned" << "" << "PGRST205"; // anon may not SELECT it
}

void tst_Subsets::refusals()
{
    QFETCH(QString, table);
    QFETCH(QString, query);
    QFETCH(QString, code);
    StateSubscriber subscriber;
    subscriber.open(m_server.url(), QString(), QStringLiteral("tables="));
    QVERIFY(subscriber.waitForHello());
    const QJsonObject reply = subscribe(subscriber, QStringLiteral("x"), table, query);
    QCOMPARE(reply.value(QLatin1String("type")).toString(), QStringLiteral("subscriptionError"));
    QCOMPARE(reply.value(QLatin1String("code")).toString(), code);
    QVERIFY(!reply.value(QLatin1String("message")).toString().isEmpty());
    // The connection stays usable.
    QCOMPARE(subscribe(subscriber, QStringLiteral("y"), QStringLiteral("items"), QString())
                 .value(QLatin1String("type")).toString(),
             QStringLiteral("subscribed"));
    // The same id twice, and past AIODATA_MAX_SUBSCRIPTIONS (30 here).
    QCOMPARE(subscribe(subscriber, QStringLiteral("y"), QStringLiteral("items"), QString())
                 .value(QLatin1String("code")).toString(),
             QStringLiteral("AIODATA011"));
    for (int i = 1; i < 30; ++i)
        QCOMPARE(subscribe(subscriber, QString::number(i), QStringLiteral("items"), QString())
                     .value(QLatin1String("type")).toString(),
                 QStringLiteral("subscribed"));
    QCOMPARE(subscribe(subscriber, QStringLiteral("z"), QStringLiteral("items"), QString())
                 .value(QLatin1String("code")).toString(),
             QStringLiteral("AIODATA008"));
}

void tst_Subsets::wholeStreamRefusesSubscriptions()
{
    StateSubscriber subscriber;
    subscriber.open(m_server.url());
    QVERIFY(subscriber.waitForHello());
    const QJsonObject reply = subscribe(subscriber, QStringLiteral("s"), QStringLiteral("items"), QString());
    QCOMPARE(reply.value(QLatin1String("code")).toString(), QStringLiteral("AIODATA009"));
    // Not JSON at all: an error without id, and the stream goes on.
    const qsizetype before = subscriber.messages.size();
    const_cast<QWebSocket &>(subscriber.socket()).sendTextMessage(QStringLiteral("{nope"));
    QTRY_VERIFY(subscriber.messages.size() > before);
    QCOMPARE(subscriber.messages.last().value(QLatin1String("code")).toString(), QStringLiteral("AIODATA010"));
}

void tst_Subsets::selectCutsColumns()
{
    StateSubscriber subscriber;
    subscriber.open(m_server.url(), QString(), QStringLiteral("tables=marks"));
    QVERIFY(subscriber.waitForHello());
    QCOMPARE(subscribe(subscriber, QStringLiteral("s"), QStringLiteral("items"), QStringLiteral("select=note&kind=eq.sel"))
                 .value(QLatin1String("type")).toString(),
             QStringLiteral("subscribed"));
    write(QStringLiteral("INSERT INTO api.items (id, kind, price, note) VALUES (100, 'sel', 1.50, 'n')"));
    QVERIFY(sync(subscriber));
    QJsonArray rows;
    for (const QJsonObject &m : std::as_const(subscriber.messages)) {
        for (const QJsonValue &c : StateSubscriber::eventsOf(m)) {
            if (c[QLatin1String("subset")].toString() == QLatin1String("s"))
                rows = c[QLatin1String("rows")].toArray();
        }
    }
    // The selected column and the key, nothing else.
    QCOMPARE(rows, (QJsonArray{QJsonObject{{QStringLiteral("id"), 100}, {QStringLiteral("note"), QStringLiteral("n")}}}));
    write(QStringLiteral("DELETE FROM api.items WHERE id = 100"));
}

void tst_Subsets::unsubscribeStops()
{
    StateSubscriber subscriber;
    subscriber.open(m_server.url(), QString(), QStringLiteral("tables=marks"));
    QVERIFY(subscriber.waitForHello());
    QCOMPARE(subscribe(subscriber, QStringLiteral("u"), QStringLiteral("items"), QString())
                 .value(QLatin1String("type")).toString(),
             QStringLiteral("subscribed"));
    write(QStringLiteral("INSERT INTO api.items (id, kind) VALUES (200, 'u')"));
    QVERIFY(sync(subscriber));
    auto changesOfU = [&subscriber] {
        int n = 0;
        for (const QJsonObject &m : std::as_const(subscriber.messages)) {
            for (const QJsonValue &c : StateSubscriber::eventsOf(m))
                n += c.toObject().contains(QLatin1String("subset")); // its own or "*"
        }
        return n;
    };
    QCOMPARE(changesOfU(), 1);
    const QJsonObject message{{QStringLiteral("type"), QStringLiteral("unsubscribe")}, {QStringLiteral("id"), QStringLiteral("u")}};
    const_cast<QWebSocket &>(subscriber.socket())
        .sendTextMessage(QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
    QTRY_COMPARE(subscriber.count(QStringLiteral("unsubscribed")), 1);
    write(QStringLiteral("DELETE FROM api.items WHERE id = 200"));
    QVERIFY(sync(subscriber));
    QCOMPARE(changesOfU(), 1);
}

// A subset never carries a row its role's policies hide, also when the
// row matches the filter, and a row updated out of sight leaves it.
void tst_Subsets::rowSecurityHoldsForSubsets()
{
    const QString alice = TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), QStringLiteral("alice")}});
    StateSubscriber subscriber;
    subscriber.open(m_server.url(), alice, QStringLiteral("tables=marks"));
    QVERIFY(subscriber.waitForHello());
    QCOMPARE(subscribe(subscriber, QStringLiteral("k"), QStringLiteral("owned"), QStringLiteral("kind=eq.k"))
                 .value(QLatin1String("type")).toString(),
             QStringLiteral("subscribed"));
    QMap<QString, Held> held{{QStringLiteral("k"), Held()}};
    qsizetype applied = 0;
    const QStringList writes = {
        QStringLiteral("INSERT INTO api.owned VALUES (1, 'alice', 'k'), (2, 'bob', 'k'), (3, 'alice', 'other')"),
        QStringLiteral("UPDATE api.owned SET kind = 'k' WHERE id = 3"),
        QStringLiteral("UPDATE api.owned SET owner = 'bob' WHERE id = 1"),
        QStringLiteral("UPDATE api.owned SET owner = 'alice' WHERE id = 2"),
        QStringLiteral("DELETE FROM api.owned"),
    };
    for (const QString &sql : writes) {
        write(sql);
        QVERIFY(sync(subscriber));
        for (const QJsonObject &c : takeChanges(subscriber, applied)) {
            if (!c.contains(QLatin1String("subset")))
                continue;
            // Nothing of bob's, ever, in what reaches alice.
            for (const QJsonValue &r : c.value(QLatin1String("rows")).toArray())
                QVERIFY(r[QLatin1String("owner")].toString() != QLatin1String("bob"));
            applyTo(held, c);
        }
        Rows expected;
        for (const QJsonValue &r : get(QStringLiteral("owned"), QStringLiteral("kind=eq.k"), alice))
            expected.insert(keyOf(r.toObject()), r.toObject());
        QVERIFY2(held[QStringLiteral("k")].rows == expected, qPrintable(sql));
    }
}

void tst_Subsets::droppedColumnEndsTheSubscription()
{
    StateSubscriber subscriber;
    subscriber.open(m_server.url(), QString(), QStringLiteral("tables=marks"));
    QVERIFY(subscriber.waitForHello());
    QCOMPARE(subscribe(subscriber, QStringLiteral("e"), QStringLiteral("items"), QStringLiteral("extra=eq.1"))
                 .value(QLatin1String("type")).toString(),
             QStringLiteral("subscribed"));
    QCOMPARE(subscribe(subscriber, QStringLiteral("k"), QStringLiteral("items"), QStringLiteral("kind=eq.dropped"))
                 .value(QLatin1String("type")).toString(),
             QStringLiteral("subscribed"));
    write(QStringLiteral("ALTER TABLE api.items DROP COLUMN extra; NOTIFY pgrst, 'reload schema'"));
    QTRY_VERIFY_WITH_TIMEOUT(subscriber.count(QStringLiteral("subscriptionError")) == 1, 10000);
    QJsonObject ended;
    for (const QJsonObject &m : std::as_const(subscriber.messages)) {
        if (m.value(QLatin1String("type")).toString() == QLatin1String("subscriptionError"))
            ended = m;
    }
    QCOMPARE(ended.value(QLatin1String("id")).toString(), QStringLiteral("e"));
    QCOMPARE(ended.value(QLatin1String("code")).toString(), QStringLiteral("42703"));
    // The other subset lives on under the new schema.
    write(QStringLiteral("INSERT INTO api.items (id, kind) VALUES (300, 'dropped')"));
    QVERIFY2(sync(subscriber), m_server.output().right(3000).constData());
    QVERIFY(subscriber.socket().state() == QAbstractSocket::ConnectedState);
    bool seen = false;
    for (const QJsonObject &m : std::as_const(subscriber.messages)) {
        for (const QJsonValue &c : StateSubscriber::eventsOf(m))
            seen = seen || c[QLatin1String("subset")].toString() == QLatin1String("k");
    }
    QVERIFY(seen);
}

QTEST_GUILESS_MAIN(tst_Subsets)
#include "tst_subsets.moc"
