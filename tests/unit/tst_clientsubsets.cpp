// Subsets on the client (issue 18), without a server: the columns of a
// subset's model, subset changes applied to it (move-in, stay, move-out), and
// Client's side of the protocol against an in-process fake speaking HTTP and
// WebSocket on one port: the selective stream, subscribe, the fill and its
// hand-off, routing, errors, unsubscribe, re-subscribing after a reconnect.
#include "client.h"
#include "eventdecoder.h"
#include "modelkeys.h"
#include "protocol/messages.h"
#include "subsetquery.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "tableschema.h"

#include <QAbstractItemModelTester>
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtEndian>
#include <QtTest>

using namespace Aiodata;
using namespace Qt::StringLiterals;

namespace {

const char petsSchema[] = R"({
  "name": "pets", "comment": null,
  "primaryKey": ["type", "breed", "name"],
  "privileges": {"select": true, "insert": true, "update": true, "delete": true},
  "columns": [
    {"name": "type", "type": "text", "primaryKey": 1, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
    {"name": "breed", "type": "text", "primaryKey": 2, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
    {"name": "name", "type": "text", "primaryKey": 3, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
    {"name": "color", "type": "integer", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": false, "comment": null, "references": null},
    {"name": "groomed", "type": "boolean", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": true, "comment": null, "references": null}
  ]})";

QJsonObject petsTable()
{
    return QJsonDocument::fromJson(QByteArray(petsSchema)).object();
}

QJsonObject pet(const QString &type, const QString &breed, const QString &name, int color)
{
    return {{u"type"_s, type}, {u"breed"_s, breed}, {u"name"_s, name}, {u"color"_s, color}, {u"groomed"_s, false}};
}

QJsonObject key(const QString &type, const QString &breed, const QString &name)
{
    return {{u"type"_s, type}, {u"breed"_s, breed}, {u"name"_s, name}};
}

QJsonArray array(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).array();
}

QByteArray compact(const QJsonValue &value)
{
    return value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

// Structural signals, as "inserted 0-1" in emission order.
class SignalLog : public QObject
{
public:
    explicit SignalLog(QAbstractItemModel *model)
    {
        connect(model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int f, int l) {
            entries.append(u"inserted %1-%2"_s.arg(f).arg(l));
        });
        connect(model, &QAbstractItemModel::rowsRemoved, this, [this](const QModelIndex &, int f, int l) {
            entries.append(u"removed %1-%2"_s.arg(f).arg(l));
        });
        connect(model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex &a, const QModelIndex &b) {
            entries.append(u"changed %1-%2"_s.arg(a.row()).arg(b.row()));
        });
        connect(model, &QAbstractItemModel::modelReset, this, [this] { entries.append(u"reset"_s); });
    }
    QStringList entries;
};

// The aiodata server as far as a Client sees it: GET /, GET /query/pets[?q]
// and the /state WebSocket (RFC 6455 framing by hand: text frames, close).
class FakeServer : public QObject
{
public:
    FakeServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        QVERIFY(m_server.listen(QHostAddress::LocalHost));
    }

    QUrl url() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.serverPort())); }

    // Answers of GET /query/pets?<query> (the encoded query as the client sent it).
    struct Answer
    {
        int status = 200;
        QByteArray body;
        QByteArray snapshot = "100:100:";
    };
    QJsonArray table;                   // GET /query/pets
    QHash<QByteArray, Answer> queries;
    bool holdFills = false;             // fills wait for release()
    QList<QByteArray> stateTargets;     // request targets of the WebSocket upgrades
    QList<QByteArray> queryTargets;     // of GET /query/...
    QList<QJsonObject> received;        // text messages from the client

    void sendToClient(const QJsonObject &message) { sendFrame(0x1, compact(message)); }
    void closeStream()
    {
        if (m_ws) {
            sendFrame(0x8, QByteArray());
            m_ws->disconnectFromHost();
            m_ws = nullptr;
        }
    }
    void release()
    {
        holdFills = false;
        const auto held = std::exchange(m_held, {});
        for (const auto &[socket, target] : held) {
            if (socket)
                answer(socket, target);
        }
    }
    // The messages of a type received so far.
    QList<QJsonObject> receivedOfType(QLatin1String type) const
    {
        QList<QJsonObject> result;
        for (const QJsonObject &m : received) {
            if (m.value(u"type"_s).toString() == type)
                result.append(m);
        }
        return result;
    }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        if (socket == m_ws) {
            readFrames(buffer);
            return;
        }
        for (qsizetype end; (end = buffer.indexOf("\r\n\r\n")) >= 0;) {
            const QByteArray head = buffer.left(end);
            buffer.remove(0, end + 4);
            const QList<QByteArray> lines = head.split('\n');
            const QByteArray target = lines.value(0).split(' ').value(1);
            QByteArray wsKey;
            for (const QByteArray &line : lines) {
                if (line.toLower().startsWith("sec-websocket-key:"))
                    wsKey = line.mid(18).trimmed();
            }
            if (!wsKey.isEmpty()) {
                upgrade(socket, target, wsKey);
                readFrames(buffer);
                return;
            }
            if (target.startsWith("/query/"))
                queryTargets.append(target);
            if (target.startsWith("/query/pets?") && holdFills)
                m_held.append({socket, target});
            else
                answer(socket, target);
        }
    }

    void answer(QTcpSocket *socket, const QByteArray &target)
    {
        Answer a;
        if (target == "/") {
            a.body = compact(QJsonObject{{u"schema"_s, u"api"_s}, {u"tables"_s, QJsonArray{petsTable()}}});
        } else if (target == "/query/pets") {
            a.body = compact(table);
        } else if (target.startsWith("/query/pets?")) {
            a = queries.value(target.mid(12), Answer{404, R"({"code":"X","message":"no such answer"})", {}});
        } else {
            a = Answer{404, "{}", {}};
        }
        QByteArray response = "HTTP/1.1 " + QByteArray::number(a.status) + " X\r\nContent-Type: application/json\r\n";
        if (!a.snapshot.isEmpty())
            response += "Aiodata-Snapshot: " + a.snapshot + "\r\n";
        response += "Content-Length: " + QByteArray::number(a.body.size()) + "\r\n\r\n" + a.body;
        socket->write(response);
    }

    void upgrade(QTcpSocket *socket, const QByteArray &target, const QByteArray &key)
    {
        stateTargets.append(target);
        const QByteArray accept = QCryptographicHash::hash(QByteArray(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
                                                           QCryptographicHash::Sha1).toBase64();
        socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: " + accept + "\r\n\r\n");
        m_ws = socket;
        sendToClient({{u"type"_s, u"hello"_s}, {u"seq"_s, 10}, {u"epoch"_s, u"e1"_s}, {u"resumed"_s, false},
                      {u"role"_s, u"anon"_s}, {u"schema"_s, u"api"_s}, {u"source"_s, u"own writes"_s}});
    }

    void sendFrame(int opcode, const QByteArray &payload)
    {
        if (!m_ws)
            return;
        QByteArray frame(1, char(0x80 | opcode));
        if (payload.size() < 126) {
            frame += char(payload.size());
        } else if (payload.size() < 65536) {
            frame += char(126);
            frame += char(payload.size() >> 8);
            frame += char(payload.size() & 0xff);
        } else {
            frame += char(127);
            for (int shift = 56; shift >= 0; shift -= 8)
                frame += char((quint64(payload.size()) >> shift) & 0xff);
        }
        m_ws->write(frame + payload);
    }

    // Client frames are masked; only small unfragmented ones are sent here.
    void readFrames(QByteArray &buffer)
    {
        while (buffer.size() >= 2) {
            const int opcode = buffer.at(0) & 0x0f;
            qsizetype length = buffer.at(1) & 0x7f;
            qsizetype at = 2;
            if (length == 126) {
                if (buffer.size() < 4)
                    return;
                length = (quint8(buffer.at(2)) << 8) | quint8(buffer.at(3));
                at = 4;
            } else if (length == 127) {
                QFAIL("unexpectedly long frame from the client");
            }
            if (buffer.size() < at + 4 + length)
                return;
            const QByteArray mask = buffer.mid(at, 4);
            QByteArray payload = buffer.mid(at + 4, length);
            for (qsizetype i = 0; i < payload.size(); ++i)
                payload[i] = char(payload.at(i) ^ mask.at(i % 4));
            buffer.remove(0, at + 4 + length);
            if (opcode == 0x1)
                received.append(QJsonDocument::fromJson(payload).object());
        }
    }

    QTcpServer m_server;
    QPointer<QTcpSocket> m_ws;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<std::pair<QPointer<QTcpSocket>, QByteArray>> m_held;
};

QJsonObject subsetEvent(quint32 xid, const QString &subset, const QString &action, const QJsonArray &rows,
                        const QJsonArray &old = {})
{
    QJsonObject change{{u"action"_s, action}, {u"schema"_s, u"api"_s}, {u"table"_s, u"pets"_s}, {u"rows"_s, rows}};
    if (!subset.isEmpty())
        change.insert(u"subset"_s, subset);
    if (!old.isEmpty())
        change.insert(u"old"_s, old);
    return {{u"type"_s, u"transaction"_s}, {u"seq"_s, qint64(xid) * 10}, {u"xid"_s, qint64(xid)},
            {u"events"_s, QJsonArray{change}}};
}

} // namespace

class TestClientSubsets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void subsetColumns_data();
    void subsetColumns();
    void encodedQuery_data();
    void encodedQuery();
    void fillQuery_data();
    void fillQuery();
    void decodesSubset();
    void applySubsetChanges_data();
    void applySubsetChanges();

    void streamTables_data();
    void streamTables();
    void fullStreamHasNoSubsets();
    void changingSyncedTablesReconnects();
    void subscribeFillAndRoute();
    void fillMeetsStream();
    void subscriptionError();
    void refusedFill();
    void deletingUnsubscribes();
    void resubscribesAfterReconnect();
    void sameQuerySameModel();

private:
    // A client of `server` syncing `tables`, Ready, with testers on its whole-table models.
    void startClient(Client &client, FakeServer &server, const QStringList &tables);
};

void TestClientSubsets::subsetColumns_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QStringList>("columns");
    const QStringList all{u"type"_s, u"breed"_s, u"name"_s, u"color"_s, u"groomed"_s};
    const QStringList keyOnly{u"type"_s, u"breed"_s, u"name"_s};
    QTest::newRow("no query") << QString() << all;
    QTest::newRow("filter only") << u"type=eq.Dog"_s << all;
    QTest::newRow("select one") << u"type=eq.Dog&select=color"_s << QStringList{u"type"_s, u"breed"_s, u"name"_s, u"color"_s};
    QTest::newRow("table order") << u"select=groomed,name,color"_s << all;
    QTest::newRow("spaces") << u"select= groomed , color"_s << all;
    QTest::newRow("star") << u"select=*"_s << all;
    QTest::newRow("key columns") << u"select=name"_s << keyOnly;
    QTest::newRow("unknown column") << u"select=nope"_s << keyOnly;
    QTest::newRow("encoded comma") << u"select=color%2Cgroomed"_s << all;
}

void TestClientSubsets::subsetColumns()
{
    QFETCH(QString, query);
    QFETCH(QStringList, columns);
    const TableSchema schema = Internal::subsetSchema(TableSchema::fromJson(petsTable()), query);
    QStringList names;
    for (const ColumnSchema &column : schema.columns)
        names.append(column.name);
    QCOMPARE(names, columns);
    QCOMPARE(schema.primaryKey, (QStringList{u"type"_s, u"breed"_s, u"name"_s}));
    QCOMPARE(schema.primaryKeyColumns(), (QList<int>{0, 1, 2}));
}

void TestClientSubsets::encodedQuery_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("plain") << u"type=eq.Dog&select=name,color"_s << QByteArray("type=eq.Dog&select=name,color");
    QTest::newRow("space") << u"name=eq.Big Dog"_s << QByteArray("name=eq.Big%20Dog");
    QTest::newRow("encoded stays") << u"name=eq.Big%20Dog"_s << QByteArray("name=eq.Big%20Dog");
    QTest::newRow("quotes") << u"name=in.(\"a,b\",c)"_s << QByteArray("name=in.(%22a,b%22,c)");
    QTest::newRow("or tree") << u"or=(color.gt.3,groomed.is.true)"_s << QByteArray("or=(color.gt.3,groomed.is.true)");
    QTest::newRow("non-ASCII") << u"name=eq.Bär"_s << QByteArray("name=eq.B%C3%A4r");
    QTest::newRow("lone percent") << u"name=like.10%"_s << QByteArray("name=like.10%25");
}

void TestClientSubsets::encodedQuery()
{
    QFETCH(QString, query);
    QFETCH(QByteArray, encoded);
    QCOMPARE(Internal::encodedQuery(query), encoded);
}

void TestClientSubsets::fillQuery_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("fill");
    QTest::newRow("no select") << u"type=eq.Dog"_s << QByteArray("type=eq.Dog");
    QTest::newRow("empty") << QString() << QByteArray();
    QTest::newRow("select gets the key") << u"type=eq.Dog&select=color"_s << QByteArray("type=eq.Dog&select=type,breed,name,color");
    QTest::newRow("select first, encoding kept") << u"select=groomed&name=in.(%22a,b%22)&or=(color.gt.1)"_s
                                                 << QByteArray("select=type,breed,name,groomed&name=in.(%22a,b%22)&or=(color.gt.1)");
}

void TestClientSubsets::fillQuery()
{
    QFETCH(QString, query);
    QFETCH(QByteArray, fill);
    const TableSchema schema = Internal::subsetSchema(TableSchema::fromJson(petsTable()), query);
    QStringList columns;
    for (const ColumnSchema &column : schema.columns)
        columns.append(column.name);
    QCOMPARE(Internal::fillQuery(query, columns), fill);
}

void TestClientSubsets::decodesSubset()
{
    const Internal::ServerMessage m = Internal::decodeServerMessage(QByteArray(R"({"type":"transaction","seq":5,"xid":7,"events":[
        {"action":"update","schema":"api","table":"pets","subset":"s1","rows":[{"name":"a"}],"old":[{"name":"b"}]},
        {"action":"delete","schema":"api","table":"pets","rows":[{"name":"c"}]}]})"));
    QCOMPARE(m.changes.size(), 2);
    QCOMPARE(m.changes.at(0).subset, u"s1"_s);
    QCOMPARE(m.changes.at(0).action, Protocol::Action::Update);
    QVERIFY(m.changes.at(1).subset.isEmpty());
}

// A subset model of "color=gt.1&select=color" holding Dog/Beagle/Rex (2) and
// Dog/Poodle/Fifi (3); then one change, as the server sends it for the subset.
void TestClientSubsets::applySubsetChanges_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<QJsonArray>("old");
    QTest::addColumn<QJsonArray>("rows");
    QTest::addColumn<QStringList>("keys");
    QTest::addColumn<QStringList>("expected");

    const QStringList both{u"Dog/Beagle/Rex"_s, u"Dog/Poodle/Fifi"_s};
    QTest::newRow("move-in: update of a key not held")
        << u"update"_s << array(R"([{"type":"Cat","breed":"Tabby","name":"Tom"}])")
        << array(R"([{"type":"Cat","breed":"Tabby","name":"Tom","color":5}])")
        << QStringList{u"Cat/Tabby/Tom"_s, u"Dog/Beagle/Rex"_s, u"Dog/Poodle/Fifi"_s} << QStringList{u"inserted 0-0"_s};
    QTest::newRow("stays inside: update of a held key")
        << u"update"_s << array(R"([{"type":"Dog","breed":"Poodle","name":"Fifi"}])")
        << array(R"([{"type":"Dog","breed":"Poodle","name":"Fifi","color":9}])") << both
        << QStringList{u"changed 1-1"_s};
    QTest::newRow("stays, unchanged") << u"update"_s << array(R"([{"type":"Dog","breed":"Poodle","name":"Fifi"}])")
                                      << array(R"([{"type":"Dog","breed":"Poodle","name":"Fifi","color":3}])") << both
                                      << QStringList{};
    QTest::newRow("key change inside")
        << u"update"_s << array(R"([{"type":"Dog","breed":"Beagle","name":"Rex"}])")
        << array(R"([{"type":"Dog","breed":"Pug","name":"Rex","color":2}])")
        << QStringList{u"Dog/Poodle/Fifi"_s, u"Dog/Pug/Rex"_s} << QStringList{u"removed 0-0"_s, u"inserted 1-1"_s};
    QTest::newRow("move-out: delete of a held key") << u"delete"_s << QJsonArray()
                                                    << array(R"([{"type":"Dog","breed":"Beagle","name":"Rex"}])")
                                                    << QStringList{u"Dog/Poodle/Fifi"_s} << QStringList{u"removed 0-0"_s};
    QTest::newRow("delete of a key not held") << u"delete"_s << QJsonArray()
                                              << array(R"([{"type":"Cat","breed":"Tabby","name":"Tom"}])") << both
                                              << QStringList{};
    QTest::newRow("create: enters") << u"create"_s << QJsonArray()
                                    << array(R"([{"type":"Fish","breed":"Koi","name":"Aqui","color":4}])")
                                    << QStringList{u"Dog/Beagle/Rex"_s, u"Dog/Poodle/Fifi"_s, u"Fish/Koi/Aqui"_s}
                                    << QStringList{u"inserted 2-2"_s};
    QTest::newRow("create of a held key replaces")
        << u"create"_s << QJsonArray() << array(R"([{"type":"Dog","breed":"Beagle","name":"Rex","color":7}])") << both
        << QStringList{u"changed 0-0"_s};
    QTest::newRow("truncate") << u"truncate"_s << QJsonArray() << QJsonArray() << QStringList{}
                              << QStringList{u"removed 0-1"_s};
}

void TestClientSubsets::applySubsetChanges()
{
    QFETCH(QString, action);
    QFETCH(QJsonArray, old);
    QFETCH(QJsonArray, rows);
    QFETCH(QStringList, keys);
    QFETCH(QStringList, expected);

    TableModel model(Internal::subsetSchema(TableSchema::fromJson(petsTable()), u"color=gt.1&select=color"_s));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.columnNames(), (QStringList{u"type"_s, u"breed"_s, u"name"_s, u"color"_s}));
    TableModelPrivate::get(&model)->replaceRows(
        array(R"([{"type":"Dog","breed":"Poodle","name":"Fifi","color":3},{"type":"Dog","breed":"Beagle","name":"Rex","color":2}])"));
    SignalLog log(&model);

    Internal::ServerChange change;
    change.table = u"pets"_s;
    change.subset = u"s1"_s;
    change.action = Protocol::actionFromName(action);
    change.rows = rows;
    change.old = old;
    QVERIFY(Internal::applyServerChange(&model, change));
    QCOMPARE(::keys(model), keys);
    QCOMPARE(log.entries, expected);
}

void TestClientSubsets::startClient(Client &client, FakeServer &server, const QStringList &tables)
{
    client.setUrl(server.url());
    if (tables != QStringList{u"*"_s})
        client.setSyncedTables(tables);
    connect(&client, &Client::tableAdded, &client, [](TableModel *model) {
        new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest, model);
    });
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    QVERIFY(ready.wait(5000));
}

void TestClientSubsets::streamTables_data()
{
    QTest::addColumn<QStringList>("tables");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QStringList>("models");
    QTest::newRow("default: every table") << QStringList{u"*"_s} << QByteArray("/state") << QStringList{u"pets"_s};
    QTest::newRow("one table") << QStringList{u"pets"_s} << QByteArray("/state?tables=pets") << QStringList{u"pets"_s};
    QTest::newRow("two, one unknown") << QStringList{u"pets"_s, u"owners"_s} << QByteArray("/state?tables=pets,owners")
                                      << QStringList{u"pets"_s};
    QTest::newRow("none") << QStringList{} << QByteArray("/state?tables=") << QStringList{};
}

void TestClientSubsets::streamTables()
{
    QFETCH(QStringList, tables);
    QFETCH(QByteArray, target);
    QFETCH(QStringList, models);
    FakeServer server;
    server.table = QJsonArray{pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 2)};
    Client client;
    startClient(client, server, tables);
    QCOMPARE(server.stateTargets, QList<QByteArray>{target});
    QCOMPARE(client.tableNames(), models);
    QCOMPARE(server.queryTargets.size(), models.size()); // a snapshot of the synced tables only
    QCOMPARE(client.table(u"pets"_s) != nullptr, models.contains(u"pets"_s));
    if (TableModel *pets = client.table(u"pets"_s)) {
        QVERIFY(pets->isLoaded());
        QVERIFY(pets->query().isEmpty());
    }
}

void TestClientSubsets::fullStreamHasNoSubsets()
{
    FakeServer server;
    Client client;
    startClient(client, server, {u"*"_s});
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"subsets need a selective stream"_s));
    QCOMPARE(client.model(u"pets"_s, u"type=eq.Dog"_s), nullptr);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"not a readable table"_s));
    client.setSyncedTables({});
    QCOMPARE(client.model(u"owners"_s, u"type=eq.Dog"_s), nullptr);
}

// A started client follows syncedTables: a new stream, models made or dropped.
void TestClientSubsets::changingSyncedTablesReconnects()
{
    FakeServer server;
    server.table = QJsonArray{pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 2)};
    Client client;
    startClient(client, server, {u"pets"_s});
    QPointer<TableModel> pets = client.table(u"pets"_s);
    QVERIFY(pets);
    QSignalSpy removed(&client, &Client::tableRemoved);
    QSignalSpy changed(&client, &Client::syncedTablesChanged);
    QSignalSpy ready(&client, &Client::ready);
    client.setSyncedTables({});
    QCOMPARE(changed.size(), 1);
    QVERIFY(ready.wait(5000));
    QCOMPARE(server.stateTargets.last(), QByteArray("/state?tables=&since=10&epoch=e1"));
    QCOMPARE(removed.size(), 1);
    QVERIFY(client.tableNames().isEmpty());
    client.setSyncedTables({}); // no change, no reconnect
    QCOMPARE(changed.size(), 1);

    QSignalSpy added(&client, &Client::tableAdded);
    client.setSyncedTables({u"*"_s});
    QVERIFY(ready.wait(5000));
    QCOMPARE(server.stateTargets.last(), QByteArray("/state?since=10&epoch=e1"));
    QCOMPARE(added.size(), 1);
    QTRY_COMPARE(client.table(u"pets"_s)->rowCount(), 1);
    QCOMPARE(server.stateTargets.size(), 3);
}

void TestClientSubsets::subscribeFillAndRoute()
{
    FakeServer server;
    server.table = QJsonArray{pet(u"Cat"_s, u"Tabby"_s, u"Tom"_s, 1), pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 2)};
    server.queries.insert("type=eq.Dog&select=type,breed,name,color", {200, R"([{"type":"Dog","breed":"Beagle","name":"Rex","color":2}])", "100:100:"});
    Client client;
    startClient(client, server, {u"pets"_s});
    TableModel *pets = client.table(u"pets"_s);
    QVERIFY(pets);

    TableModel *dogs = client.model(u"pets"_s, u"type=eq.Dog&select=color"_s);
    QVERIFY(dogs);
    QAbstractItemModelTester tester(dogs, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(dogs->query(), u"type=eq.Dog&select=color"_s);
    QCOMPARE(dogs->name(), u"pets"_s);
    QCOMPARE(dogs->columnNames(), (QStringList{u"type"_s, u"breed"_s, u"name"_s, u"color"_s}));
    QVERIFY(!dogs->isLoaded());
    QCOMPARE(client.subsets(), QList<TableModel *>{dogs});
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 1);
    QCOMPARE(server.received.last(), (QJsonObject{{u"type"_s, u"subscribe"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s},
                                                  {u"query"_s, u"type=eq.Dog&select=color"_s}}));

    QSignalSpy loaded(dogs, &TableModel::loadedChanged);
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 20}});
    QVERIFY(loaded.wait(5000));
    QVERIFY(dogs->isLoaded());
    QCOMPARE(server.queryTargets.last(), QByteArray("/query/pets?type=eq.Dog&select=type,breed,name,color"));
    QCOMPARE(keys(*dogs), QStringList{u"Dog/Beagle/Rex"_s});

    // One transaction: the table's own change and the subset's; each reaches its model only.
    SignalLog petsLog(pets);
    SignalLog dogsLog(dogs);
    QSignalSpy clientCreated(&client, &Client::created);
    QJsonObject message = subsetEvent(200, QString(), u"create"_s, QJsonArray{pet(u"Dog"_s, u"Pug"_s, u"Max"_s, 3)});
    QJsonArray events = message.value(u"events"_s).toArray();
    events.append(subsetEvent(200, u"s1"_s, u"create"_s, QJsonArray{pet(u"Dog"_s, u"Pug"_s, u"Max"_s, 3)})
                      .value(u"events"_s).toArray().first());
    events.append(subsetEvent(200, u"s1"_s, u"delete"_s, QJsonArray{key(u"Dog"_s, u"Beagle"_s, u"Rex"_s)})
                      .value(u"events"_s).toArray().first());
    message.insert(u"events"_s, events);
    server.sendToClient(message);
    QTRY_COMPARE(keys(*dogs), QStringList{u"Dog/Pug/Max"_s});
    QCOMPARE(keys(*pets), (QStringList{u"Cat/Tabby/Tom"_s, u"Dog/Beagle/Rex"_s, u"Dog/Pug/Max"_s}));
    QCOMPARE(petsLog.entries, QStringList{u"inserted 2-2"_s});
    QCOMPARE(dogsLog.entries, (QStringList{u"inserted 1-1"_s, u"removed 0-0"_s}));
    QCOMPARE(clientCreated.size(), 1); // Client's signals are the whole tables'

    // A change of another subset id reaches neither.
    server.sendToClient(subsetEvent(201, u"s9"_s, u"truncate"_s, {}));
    server.sendToClient(subsetEvent(202, u"s1"_s, u"update"_s, QJsonArray{pet(u"Dog"_s, u"Pug"_s, u"Max"_s, 4)},
                                    QJsonArray{key(u"Dog"_s, u"Pug"_s, u"Max"_s)}));
    QTRY_COMPARE(dogsLog.entries.size(), 3);
    QCOMPARE(dogsLog.entries.last(), u"changed 0-0"_s);
    QCOMPARE(dogs->row(0).value(u"color"_s).toInt(), 4);
    QCOMPARE(pets->rowCount(), 3);
    QCOMPARE(petsLog.entries.size(), 1);

    // "*": every subset of the table but those excepted, never the whole table's model.
    QJsonObject every = subsetEvent(203, u"*"_s, u"delete"_s, QJsonArray{key(u"Dog"_s, u"Pug"_s, u"Max"_s)});
    QJsonObject excepted = every.value(u"events"_s).toArray().first().toObject();
    excepted.insert(u"except"_s, QJsonArray{u"s1"_s});
    every.insert(u"events"_s, QJsonArray{excepted});
    server.sendToClient(every);
    // A change after it, to know it was applied (messages apply in order).
    server.sendToClient(subsetEvent(204, u"s1"_s, u"create"_s, QJsonArray{pet(u"Dog"_s, u"Lab"_s, u"Bo"_s, 5)}));
    QTRY_COMPARE(dogs->rowCount(), 2);
    QCOMPARE(keys(*dogs), (QStringList{u"Dog/Lab/Bo"_s, u"Dog/Pug/Max"_s})); // the excepted subset kept Max
    server.sendToClient(subsetEvent(205, u"*"_s, u"delete"_s, QJsonArray{key(u"Dog"_s, u"Pug"_s, u"Max"_s)}));
    QTRY_COMPARE(keys(*dogs), QStringList{u"Dog/Lab/Bo"_s});
    QCOMPARE(dogsLog.entries.last(), u"removed 1-1"_s);
    QCOMPARE(pets->rowCount(), 3);
    QCOMPARE(petsLog.entries.size(), 1);
}

// Changes of the subset that come before its fill's answer wait for it; those
// its snapshot holds (xid below xmin 100) are skipped, the others applied over it.
void TestClientSubsets::fillMeetsStream()
{
    FakeServer server;
    server.holdFills = true;
    server.queries.insert("type=eq.Dog", {200, R"([{"type":"Dog","breed":"Beagle","name":"Rex","color":2,"groomed":false}])", "100:100:"});
    Client client;
    startClient(client, server, {});
    TableModel *dogs = client.model(u"pets"_s, u"type=eq.Dog"_s);
    QVERIFY(dogs);
    QAbstractItemModelTester tester(dogs, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 1);
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 20}});
    // In the snapshot already: this Rex is older than the fill's.
    server.sendToClient(subsetEvent(90, u"s1"_s, u"create"_s, QJsonArray{pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 1)}));
    server.sendToClient(subsetEvent(150, u"s1"_s, u"create"_s, QJsonArray{pet(u"Dog"_s, u"Pug"_s, u"Max"_s, 3)}));
    QTRY_COMPARE(server.queryTargets.size(), 1); // the fill was asked for
    QTest::qWait(50);
    QCOMPARE(dogs->rowCount(), 0); // nothing before the fill
    SignalLog log(dogs);
    server.release();
    QTRY_VERIFY(dogs->isLoaded());
    QCOMPARE(keys(*dogs), (QStringList{u"Dog/Beagle/Rex"_s, u"Dog/Pug/Max"_s}));
    QCOMPARE(dogs->row(0).value(u"color"_s).toInt(), 2);
    QCOMPARE(log.entries, (QStringList{u"inserted 0-0"_s, u"inserted 1-1"_s}));
}

void TestClientSubsets::subscriptionError()
{
    FakeServer server;
    Client client;
    startClient(client, server, {});
    TableModel *bad = client.model(u"pets"_s, u"colour=eq.1"_s);
    QVERIFY(bad);
    QSignalSpy errors(bad, &TableModel::errorOccurred);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 1);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"subset refused"_s));
    server.sendToClient({{u"type"_s, u"subscriptionError"_s}, {u"id"_s, u"s1"_s}, {u"code"_s, u"42703"_s},
                         {u"message"_s, u"column pets.colour does not exist"_s}, {u"details"_s, QJsonValue::Null},
                         {u"hint"_s, u"Perhaps you meant to reference the column \"pets.color\"."_s}});
    QVERIFY(errors.wait(5000));
    QCOMPARE(errors.first().first().toString(), u"column pets.colour does not exist"_s);
    QCOMPARE(bad->errorString(), u"column pets.colour does not exist"_s);
    QCOMPARE(bad->errorCode(), u"42703"_s);
    QVERIFY(!bad->isLoaded());
    // No fill, and the server's later word on it is ignored.
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 20}});
    QTest::qWait(100);
    QVERIFY(server.queryTargets.isEmpty());
}

// The fill itself refused (a 4xx): the model reports the REST API's words
// and unsubscribes; the client stays connected.
void TestClientSubsets::refusedFill()
{
    FakeServer server;
    server.queries.insert("type=eq.Dog", {403, R"({"code":"42501","message":"permission denied for table pets","details":null,"hint":null})", {}});
    Client client;
    startClient(client, server, {});
    TableModel *dogs = client.model(u"pets"_s, u"type=eq.Dog"_s);
    QSignalSpy errors(dogs, &TableModel::errorOccurred);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 1);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"subset refused"_s));
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 20}});
    QVERIFY(errors.wait(5000));
    QVERIFY2(dogs->errorString().contains(u"permission denied for table pets"_s), qPrintable(dogs->errorString()));
    QCOMPARE(dogs->errorCode(), u"42501"_s);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Unsubscribe).size(), 1);
    QCOMPARE(client.status(), Client::Ready);
}

void TestClientSubsets::deletingUnsubscribes()
{
    FakeServer server;
    server.queries.insert("type=eq.Dog", {200, "[]", "100:100:"});
    Client client;
    startClient(client, server, {});
    TableModel *dogs = client.model(u"pets"_s, u"type=eq.Dog"_s);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 1);
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 20}});
    QTRY_VERIFY(dogs->isLoaded());
    delete dogs;
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Unsubscribe).size(), 1);
    QCOMPARE(server.received.last(), (QJsonObject{{u"type"_s, u"unsubscribe"_s}, {u"id"_s, u"s1"_s}}));
    QVERIFY(client.subsets().isEmpty());
    // Its changes, still under way, go nowhere.
    server.sendToClient({{u"type"_s, u"unsubscribed"_s}, {u"id"_s, u"s1"_s}});
    server.sendToClient(subsetEvent(150, u"s1"_s, u"create"_s, QJsonArray{pet(u"Dog"_s, u"Pug"_s, u"Max"_s, 3)}));
    QTest::qWait(50);
    // A model still subscribed goes with the client.
    QPointer<TableModel> cats = client.model(u"pets"_s, u"type=eq.Cat"_s);
    QVERIFY(cats);
    {
        Client other;
        startClient(other, server, {});
        cats = other.model(u"pets"_s, u"type=eq.Cat"_s);
        QVERIFY(cats);
    }
    QVERIFY(!cats);
}

// Subsets are not resumed: after a reconnect the client subscribes again
// with the same id and merges the new fill, so unchanged rows stay quiet.
void TestClientSubsets::resubscribesAfterReconnect()
{
    FakeServer server;
    server.queries.insert("type=eq.Dog", {200, R"([{"type":"Dog","breed":"Beagle","name":"Rex","color":2,"groomed":false},
                                                   {"type":"Dog","breed":"Pug","name":"Max","color":3,"groomed":false}])", "100:100:"});
    Client client;
    startClient(client, server, {});
    TableModel *dogs = client.model(u"pets"_s, u"type=eq.Dog"_s);
    QAbstractItemModelTester tester(dogs, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 1);
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 20}});
    QTRY_COMPARE(dogs->rowCount(), 2);

    SignalLog log(dogs);
    QSignalSpy ready(&client, &Client::ready);
    server.queries.insert("type=eq.Dog", {200, R"([{"type":"Dog","breed":"Beagle","name":"Rex","color":5,"groomed":false},
                                                   {"type":"Dog","breed":"Pug","name":"Max","color":3,"groomed":false},
                                                   {"type":"Dog","breed":"Shiba","name":"Ken","color":1,"groomed":false}])", "300:300:"});
    server.closeStream();
    QVERIFY(ready.wait(5000));
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 2);
    QCOMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).last().value(u"id"_s).toString(), u"s1"_s);
    QCOMPARE(server.stateTargets.last(), QByteArray("/state?tables=&since=10&epoch=e1"));
    server.sendToClient({{u"type"_s, u"subscribed"_s}, {u"id"_s, u"s1"_s}, {u"table"_s, u"pets"_s}, {u"seq"_s, 30}});
    QTRY_COMPARE(dogs->rowCount(), 3);
    QCOMPARE(keys(*dogs), (QStringList{u"Dog/Beagle/Rex"_s, u"Dog/Pug/Max"_s, u"Dog/Shiba/Ken"_s}));
    QCOMPARE(log.entries, (QStringList{u"changed 0-0"_s, u"inserted 2-2"_s}));
}

void TestClientSubsets::sameQuerySameModel()
{
    FakeServer server;
    Client client;
    startClient(client, server, {});
    TableModel *a = client.model(u"pets"_s, u"type=eq.Dog"_s);
    QCOMPARE(client.model(u"pets"_s, u"type=eq.Dog"_s), a);
    TableModel *b = client.model(u"pets"_s, u"type=eq.Cat"_s);
    QVERIFY(b && b != a);
    QTRY_COMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).size(), 2);
    QCOMPARE(server.receivedOfType(Protocol::MessageType::Subscribe).last().value(u"id"_s).toString(), u"s2"_s);
}

QTEST_GUILESS_MAIN(TestClientSubsets)
#include "tst_clientsubsets.moc"
