// Resent writes across server restarts and instances: an Idempotency-Key
// is recorded in the write's own transaction (aiodata.idempotency_keys), so
// a resend after kill -9, or to another server on the same database, gets
// the first answer. Real PostgreSQL, real server binaries, raw HTTP (no
// QNetworkAccessManager, which would resend by itself).

#include "faultyproxy.h"
#include "testdatabase.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QtTest>

#include <memory>

namespace {

// One HTTP/1.1 request on its own connection (Connection: close), driven
// by the event loop so that a FaultyProxy in this process keeps working.
class RawCall
{
public:
    struct Answer
    {
        int status = 0; // 0: the connection ended without an answer
        QByteArray head;
        QByteArray body;
        QByteArray header(const QByteArray &name) const
        {
            for (const QByteArray &line : head.split('\n')) {
                const qsizetype colon = line.indexOf(':');
                if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                    return line.mid(colon + 1).trimmed();
            }
            return QByteArray();
        }
    };

    RawCall(quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &key, const QByteArray &body)
    {
        QByteArray request = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            "Content-Type: application/json\r\nPrefer: return=representation\r\n"
            "Authorization: Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8() + "\r\n";
        if (!key.isEmpty())
            request += "Idempotency-Key: " + key + "\r\n";
        request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        QObject::connect(&m_socket, &QTcpSocket::connected, &m_socket, [this, request] { m_socket.write(request); });
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { m_data += m_socket.readAll(); });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool finished()
    {
        m_data += m_socket.readAll();
        const qsizetype end = m_data.indexOf("\r\n\r\n");
        if (end >= 0) {
            Answer a = parse();
            const QByteArray length = a.header("Content-Length");
            if (!length.isEmpty() && a.body.size() >= length.toLongLong())
                return true;
        }
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }
    bool wait(int ms = 15000) { return QTest::qWaitFor([this] { return finished(); }, ms); }
    Answer parse() const
    {
        Answer a;
        const qsizetype end = m_data.indexOf("\r\n\r\n");
        if (end < 0)
            return a;
        a.head = m_data.left(end);
        a.body = m_data.mid(end + 4);
        const QList<QByteArray> status = a.head.left(a.head.indexOf('\r')).split(' ');
        a.status = status.value(1).toInt();
        return a;
    }
    Answer answer()
    {
        wait();
        return parse();
    }

private:
    QTcpSocket m_socket;
    QByteArray m_data;
};

RawCall::Answer call(quint16 port, const QByteArray &path, const QByteArray &key, const QByteArray &body,
                     const QByteArray &method = "POST")
{
    RawCall c(port, method, path, key, body);
    return c.answer();
}

} // namespace

class tst_Idempotency : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void resentAfterKill();
    void twoServersOneWrite();
    void refusedWriteNotStored();
    void patchAndDeleteReplayed();
    void ownSchemaNotServed();
    void inMemoryWithoutPrivilege();
    void retentionDeletesOldKeys();

private:
    qint64 rows(const QString &table) const
    {
        return m_db.rows(QStringLiteral("SELECT count(*) AS n FROM api.") + table).at(0).toObject().value(QLatin1String("n")).toInteger();
    }
    qint64 keys() const
    {
        return m_db.rows(QStringLiteral("SELECT count(*) AS n FROM aiodata.idempotency_keys")).at(0).toObject().value(QLatin1String("n")).toInteger();
    }

    TestDatabase m_db{QStringLiteral("tst_idempotency")};
    TestServer m_server;
};

void tst_Idempotency::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // The server's role may create its schema here (not in other tests' databases).
    QVERIFY2(m_db.exec(QStringLiteral("GRANT CREATE ON DATABASE %1 TO authenticator;"
                                      "CREATE TABLE api.items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);"
                                      "GRANT SELECT ON api.items TO anon; GRANT ALL ON api.items TO auth;"
                                      // Slow inserts: a second server's resend arrives while the first runs.
                                      "CREATE TABLE api.slow (id int PRIMARY KEY);"
                                      "CREATE FUNCTION api.slowly() RETURNS trigger LANGUAGE plpgsql AS "
                                      "$$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$;"
                                      "CREATE TRIGGER slowly BEFORE INSERT ON api.slow FOR EACH ROW EXECUTE FUNCTION api.slowly();"
                                      "GRANT ALL ON api.slow TO auth;")
                           .arg(m_db.name()),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error, TestServer::freePort()), qPrintable(error));
    QTRY_VERIFY2_WITH_TIMEOUT(m_server.output().contains("Idempotency-Key answers kept in"), m_server.output().constData(), 5000);
}

void tst_Idempotency::init()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.items, api.slow, aiodata.idempotency_keys")));
    if (!m_server.isRunning()) {
        QString error;
        QVERIFY2(m_server.restart(&error), qPrintable(error));
    }
}

void tst_Idempotency::resentAfterKill()
{
    // The write commits and the server answers, but the answer never
    // reaches the client; then the server dies with everything it remembered.
    FaultyProxy proxy(m_server.port());
    QVERIFY(proxy.listen());
    proxy.dropWriteAnswers(1);
    const QByteArray body = R"({"id": 1, "v": 7})";
    const RawCall::Answer lost = call(proxy.port(), "/query/items", "key-kill", body);
    QCOMPARE(lost.status, 0);
    QCOMPARE(proxy.droppedAnswers(), 1);
    QCOMPARE(rows(QStringLiteral("items")), 1); // committed
    m_server.kill();
    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    QVERIFY(m_server.output().contains("Idempotency-Key answers kept in"));

    // The resend to the new process gets the first answer, and nothing is written again.
    const RawCall::Answer resent = call(m_server.port(), "/query/items", "key-kill", body);
    QCOMPARE(resent.status, 201);
    QCOMPARE(resent.header("Idempotent-Replayed"), QByteArray("true"));
    QCOMPARE(QJsonDocument::fromJson(resent.body), QJsonDocument::fromJson(R"([{"id": 1, "v": 7}])"));
    QCOMPARE(resent.header("Content-Range"), QByteArray("*/1"));
    QCOMPARE(rows(QStringLiteral("items")), 1);
    QCOMPARE(keys(), 1);
    // Again, from this process's memory now: the same.
    const RawCall::Answer again = call(m_server.port(), "/query/items", "key-kill", body);
    QCOMPARE(again.status, 201);
    QCOMPARE(again.body, resent.body);
    QCOMPARE(again.header("Idempotent-Replayed"), QByteArray("true"));
    // Another key is another write (refused: the row is there).
    QCOMPARE(call(m_server.port(), "/query/items", "key-other", body).status, 409);
}

void tst_Idempotency::twoServersOneWrite()
{
    TestServer second;
    QString error;
    QVERIFY2(second.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    // Both at once: the first runs (half a second in its trigger), the
    // other's claim waits on the key's unique index, then replays.
    const QByteArray body = R"({"id": 1})";
    RawCall a(m_server.port(), "POST", "/query/slow", "key-both", body);
    RawCall b(second.port(), "POST", "/query/slow", "key-both", body);
    QVERIFY(a.wait());
    QVERIFY(b.wait());
    const RawCall::Answer ra = a.parse(), rb = b.parse();
    QCOMPARE(ra.status, 201);
    QCOMPARE(rb.status, 201);
    QCOMPARE(ra.body, rb.body);
    // Exactly one of them ran the write.
    QCOMPARE(int(ra.header("Idempotent-Replayed") == "true") + int(rb.header("Idempotent-Replayed") == "true"), 1);
    QCOMPARE(rows(QStringLiteral("slow")), 1);
    QCOMPARE(keys(), 1);
}

void tst_Idempotency::refusedWriteNotStored()
{
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (5, 0)")));
    const QByteArray body = R"({"id": 5, "v": 1})";
    const RawCall::Answer refused = call(m_server.port(), "/query/items", "key-refused", body);
    QCOMPARE(refused.status, 409);
    // The transaction rolled back, and its key with it: nothing stored.
    QCOMPARE(keys(), 0);
    // A resend runs again and is refused the same way (not a replay).
    const RawCall::Answer resent = call(m_server.port(), "/query/items", "key-refused", body);
    QCOMPARE(resent.status, 409);
    QCOMPARE(resent.body, refused.body);
    QVERIFY(resent.header("Idempotent-Replayed").isEmpty());
    QCOMPARE(keys(), 0);
    // Once the cause is gone, the resend writes (and is then stored).
    QVERIFY(m_db.exec(QStringLiteral("DELETE FROM api.items WHERE id = 5")));
    const RawCall::Answer written = call(m_server.port(), "/query/items", "key-refused", body);
    QCOMPARE(written.status, 201);
    QVERIFY(written.header("Idempotent-Replayed").isEmpty());
    QCOMPARE(keys(), 1);
    QCOMPARE(m_db.rows(QStringLiteral("SELECT v FROM api.items WHERE id = 5")).at(0).toObject().value(QLatin1String("v")).toInt(), 1);
}

void tst_Idempotency::patchAndDeleteReplayed()
{
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1), (2, 2)")));
    // A resend after a restart answers with the first run's rows, not with
    // the table as it is now (someone changed the row since).
    const RawCall::Answer patched = call(m_server.port(), "/query/items?id=eq.1", "key-patch", R"({"v": 10})", "PATCH");
    QCOMPARE(patched.status, 200);
    m_server.kill();
    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.items SET v = 99 WHERE id = 1")));
    const RawCall::Answer patchedAgain = call(m_server.port(), "/query/items?id=eq.1", "key-patch", R"({"v": 10})", "PATCH");
    QCOMPARE(patchedAgain.status, 200);
    QCOMPARE(patchedAgain.header("Idempotent-Replayed"), QByteArray("true"));
    QCOMPARE(patchedAgain.body, patched.body);
    QCOMPARE(m_db.rows(QStringLiteral("SELECT v FROM api.items WHERE id = 1")).at(0).toObject().value(QLatin1String("v")).toInt(), 99);

    const RawCall::Answer deleted = call(m_server.port(), "/query/items?id=eq.2", "key-delete", {}, "DELETE");
    QCOMPARE(deleted.status, 200);
    m_server.kill();
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    const RawCall::Answer deletedAgain = call(m_server.port(), "/query/items?id=eq.2", "key-delete", {}, "DELETE");
    QCOMPARE(deletedAgain.status, 200);
    QCOMPARE(deletedAgain.header("Idempotent-Replayed"), QByteArray("true"));
    QCOMPARE(QJsonDocument::fromJson(deletedAgain.body), QJsonDocument::fromJson(R"([{"id": 2, "v": 2}])"));
}

void tst_Idempotency::ownSchemaNotServed()
{
    QCOMPARE(call(m_server.port(), "/query/items", "key-seen", R"({"id": 3})").status, 201);
    QCOMPARE(keys(), 1);
    // Not described, not queryable, not published for the change stream.
    const RawCall::Answer root = call(m_server.port(), "/", {}, {}, "GET");
    QCOMPARE(root.status, 200);
    QVERIFY(!root.body.contains("idempotency"));
    QCOMPARE(call(m_server.port(), "/query/idempotency_keys", {}, {}, "GET").status, 404);
    QCOMPARE(m_db.rows(QStringLiteral("SELECT count(*) AS n FROM pg_publication_tables WHERE schemaname = 'aiodata'"))
                 .at(0).toObject().value(QLatin1String("n")).toInteger(), 0);
    // No identity, method, URL or token in the table: their hash.
    const QJsonArray stored = m_db.rows(QStringLiteral("SELECT key FROM aiodata.idempotency_keys"));
    QCOMPARE(stored.at(0).toObject().value(QLatin1String("key")).toString().size(), 64);
}

void tst_Idempotency::inMemoryWithoutPrivilege()
{
    // A database where the server's role may not create its schema.
    TestDatabase plain(QStringLiteral("tst_idempotency_plain"));
    QString error;
    QVERIFY2(plain.create(&error), qPrintable(error));
    QVERIFY2(plain.exec(QStringLiteral("CREATE TABLE api.items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);"
                                       "GRANT ALL ON api.items TO auth;"),
                        &error),
             qPrintable(error));
    TestServer server;
    QVERIFY2(server.start(plain.authenticatorUri(), QString(), &error), qPrintable(error));
    const QByteArray output = server.output();
    QVERIFY2(output.contains("Idempotency-Key answers are kept in memory only"), output.constData());
    QCOMPARE(output.count("kept in memory only"), 1);
    // The resend to the same process is answered from memory.
    const QByteArray body = R"({"id": 1})";
    QCOMPARE(call(server.port(), "/query/items", "key-mem", body).status, 201);
    const RawCall::Answer resent = call(server.port(), "/query/items", "key-mem", body);
    QCOMPARE(resent.status, 201);
    QCOMPARE(resent.header("Idempotent-Replayed"), QByteArray("true"));
    QCOMPARE(plain.rows(QStringLiteral("SELECT * FROM api.items")).size(), 1);
    // What it cannot do: after a restart the key is forgotten, the resend runs again.
    server.kill();
    QVERIFY2(server.restart(&error), qPrintable(error));
    QCOMPARE(call(server.port(), "/query/items", "key-mem", body).status, 409);
}

void tst_Idempotency::retentionDeletesOldKeys()
{
    // Last: its clean-up deletes every key of the database older than 1 s.
    TestServer brief;
    brief.environment.insert(QStringLiteral("AIODATA_IDEMPOTENCY_SECONDS"), QStringLiteral("1"));
    QString error;
    QVERIFY2(brief.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    const QByteArray body = R"({"id": 1})";
    QCOMPARE(call(brief.port(), "/query/items", "key-old", body).status, 201);
    QCOMPARE(keys(), 1);
    QCOMPARE(call(brief.port(), "/query/items", "key-old", body).header("Idempotent-Replayed"), QByteArray("true"));
    QTRY_COMPARE_WITH_TIMEOUT(keys(), 0, 10000);
    // Gone from memory too (it keeps keys no longer than the database): the resend is a new write.
    QTRY_COMPARE_WITH_TIMEOUT(call(brief.port(), "/query/items", "key-old", body).status, 409, 5000);
}

QTEST_MAIN(tst_Idempotency)
#include "tst_idempotency.moc"
