// Load: 200 clients stay connected while 4 writers insert, update and delete
// for a bounded time (AIODATA_LOAD_SECONDS, default 60), on loopback only.
// Every client sees every change exactly once and ends equal to SELECT *;
// the server's memory stays bounded and it leaks no file descriptors.

#include "testdatabase.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QtTest>

using namespace Aiodata;

class tst_Load : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void manyClientsFourWriters();

private:
    TestDatabase m_db{QStringLiteral("tst_load")};
    TestServer m_server;
};

static qint64 rssKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

static int openFiles(qint64 pid)
{
    return int(QDir(QStringLiteral("/proc/%1/fd").arg(pid)).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System).size());
}

void tst_Load::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral("CREATE TABLE api.items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, note text);"
                                      "GRANT SELECT ON api.items TO anon; GRANT ALL ON api.items TO auth;"
                                      "INSERT INTO api.items SELECT g, 0 FROM generate_series(1, 400) g"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

struct Seen
{
    qint64 created = 0, updated = 0, deleted = 0;
};

void tst_Load::manyClientsFourWriters()
{
    const int seconds = qEnvironmentVariableIntValue("AIODATA_LOAD_SECONDS") > 0 ? qEnvironmentVariableIntValue("AIODATA_LOAD_SECONDS") : 60;
    const int clientCount = qEnvironmentVariableIntValue("AIODATA_LOAD_CLIENTS") > 0 ? qEnvironmentVariableIntValue("AIODATA_LOAD_CLIENTS") : 200;
    const qint64 pid = m_server.pid();
    QTest::qWait(200);
    const int filesBefore = openFiles(pid);

    std::vector<Seen> seen(size_t(clientCount), Seen{});
    {
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < clientCount; ++i) {
            auto client = std::make_unique<Client>();
            client->setUrl(m_server.url());
            Seen *s = &seen[size_t(i)];
            connect(client.get(), &Client::created, this, [s](const QString &, const QVariantList &r) { s->created += r.size(); });
            connect(client.get(), &Client::updated, this,
                    [s](const QString &, const QVariantList &, const QVariantList &r) { s->updated += r.size(); });
            connect(client.get(), &Client::deleted, this, [s](const QString &, const QVariantList &r) { s->deleted += r.size(); });
            client->start();
            clients.push_back(std::move(client));
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(),
                                             [](const auto &c) { return c->status() == Client::Ready; }),
                                 60000);
        const qint64 rssStart = rssKiB(pid);

        // Four writers, each on its own ids, each sending its next write when
        // the previous one is answered.
        QNetworkAccessManager network;
        const QByteArray token = "Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8();
        Seen done;
        int running = 0;
        bool stopping = false;
        qint64 rssMax = rssStart, rssLastHalfMax = 0;
        QElapsedTimer timer;
        timer.start();
        std::function<void(int)> write = [&](int writer) {
            if (stopping) {
                --running;
                return;
            }
            const int id = 1 + writer + 4 * int(QRandomGenerator::global()->bounded(200));
            QByteArray method, path, body;
            qint64 Seen::*field = nullptr;
            switch (QRandomGenerator::global()->bounded(3)) {
            case 0:
                method = "POST";
                path = "/query/items";
                body = QStringLiteral("{\"id\": %1, \"v\": 1}").arg(id).toUtf8();
                field = &Seen::created;
                break;
            case 1:
                method = "PATCH";
                path = "/query/items/" + QByteArray::number(id);
                body = "{\"note\": \"w" + QByteArray::number(writer) + "\"}";
                field = &Seen::updated;
                break;
            default:
                method = "DELETE";
                path = "/query/items/" + QByteArray::number(id);
                field = &Seen::deleted;
            }
            QNetworkRequest request(QUrl(m_server.url().toString() + QString::fromLatin1(path)));
            request.setRawHeader("Authorization", token);
            request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
            QNetworkReply *reply = network.sendCustomRequest(request, method, body);
            connect(reply, &QNetworkReply::finished, this, [&, reply, field, writer] {
                reply->deleteLater();
                if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() / 100 == 2)
                    done.*field += QJsonDocument::fromJson(reply->readAll()).array().size();
                write(writer);
            });
        };
        for (int w = 0; w < 4; ++w) {
            ++running;
            write(w);
        }
        while (timer.elapsed() < seconds * 1000) {
            QTest::qWait(500);
            const qint64 rss = rssKiB(pid);
            rssMax = qMax(rssMax, rss);
            if (timer.elapsed() > seconds * 500)
                rssLastHalfMax = qMax(rssLastHalfMax, rss);
        }
        stopping = true;
        QTRY_COMPARE_WITH_TIMEOUT(running, 0, 20000);

        const QJsonArray table = m_db.rows(QStringLiteral("SELECT * FROM api.items ORDER BY id"));
        for (int i = 0; i < clientCount; ++i) {
            TableModel *items = clients.at(size_t(i))->table(QStringLiteral("items"));
            QTRY_COMPARE_WITH_TIMEOUT(seen[size_t(i)].created, done.created, 20000);
            QTRY_COMPARE_WITH_TIMEOUT(seen[size_t(i)].updated, done.updated, 20000);
            QTRY_COMPARE_WITH_TIMEOUT(seen[size_t(i)].deleted, done.deleted, 20000);
            QCOMPARE(items->rowCount(), table.size());
            for (int r = 0; r < table.size(); ++r)
                QCOMPARE(QJsonObject::fromVariantMap(items->row(r)), table.at(r).toObject());
        }
        qInfo("load: %d clients, %d s; %lld created, %lld updated, %lld deleted rows; server RSS %lld -> max %lld KiB",
              clientCount, seconds, done.created, done.updated, done.deleted, rssStart, rssMax);
        // Bounded: the second half of the run needs no more memory than a
        // generous margin over the first (no growth with the number of events).
        QVERIFY2(rssLastHalfMax < rssStart + 200 * 1024, qPrintable(QString::number(rssLastHalfMax)));
    }
    // Every client gone: the server holds as many descriptors as before.
    QTRY_VERIFY_WITH_TIMEOUT(openFiles(pid) <= filesBefore + 1, 10000);
    QVERIFY(m_server.isRunning());
}

QTEST_MAIN(tst_Load)
#include "tst_load.moc"
