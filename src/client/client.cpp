#include "client.h"

#include "cache/cachestore.h"
#include "cache/writejournal.h"

#include "eventdecoder.h"
#include "protocol/messages.h"
#include "protocol/pgsnapshot.h"
#include "logging_p.h"
#include "reply.h"
#include "reply_p.h"
#include "snapshotreader.h"
#include "subsetquery.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "writetransport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QTranslator>
#include <QCoreApplication>
#include <QDateTime>
#include <QUrlQuery>
#include <QUuid>
#include <QWebSocket>
#include <QSet>
#include <QHash>

#include <memory>
#include <limits>
#include <optional>

namespace Aiodata {

class Client::Private : public WriteTransport
{
public:
    explicit Private(Client *q) : q(q) {}

    Reply *sendWrite(const QByteArray &method, const QString &table, const QVariantList &keyPrefix,
                     const QByteArray &body) override;

    QNetworkRequest request(const QByteArray &path) const;
    QNetworkRequest writeRequest(const QString &table, const QVariantList &keyPrefix, const QByteArray &key) const;
    void connectToServer();
    // The body of a finished GET of ours; nullopt (and the load fails)
    // unless the server answered 200.
    std::optional<QByteArray> takeBody(QNetworkReply *reply);
    void onSchema(QNetworkReply *reply);
    void openSocket();
    void onMessage(const QString &message);
    void onHello(const QJsonObject &hello);
    void onSocketDisconnected();
    void fetchSnapshots();
    void onSnapshot(TableModel *model, QNetworkReply *reply, Internal::SnapshotReader *reader);
    void applyMessage(const QJsonObject &message);
    void applyChange(const Internal::ServerChange &change, quint32 xid);
    void applyChangeTo(TableModel *model, const Internal::ServerChange &change, quint32 xid);
    void becomeReady();
    void fail(Error error, const QString &message, bool retry);
    void setStatus(Status status);
    void setProgress(qreal progress);
    void abortPending();
    void addModel(const QJsonObject &tableJson);
    void removeModel(const QString &name);
    // Makes the models match a schema description: adds new tables,
    // removes dropped ones, and replaces those whose columns changed.
    // Returns the names of the models it made.
    QStringList mergeSchema(const QJsonArray &tables);
    // After the server's {"type":"schema"}: the description again, then
    // snapshots of the new models only, while events keep flowing.
    void reloadSchema();
    void onSchemaReloaded(QNetworkReply *reply);
    void fetchSnapshot(TableModel *model);
    bool isSynced(const QString &table) const;
    bool syncsAll() const { return syncedTables.contains(QLatin1String("*")); }
    // Subsets: one subscription per model, sent once the stream has said
    // hello, again after each reconnect (the server does not resume them).
    struct Subset
    {
        QString table;
        QString query;             // as given to model()
        TableModel *model = nullptr;
        bool sent = false;         // subscribed on this connection
        bool failed = false;       // refused by the server: not sent again
    };
    void subscribe(const QString &id);
    void subscribeAll();
    void send(const QJsonObject &message);
    TableModel *subsetModel(const QString &id) const;
    void onSubscribed(const QJsonObject &message);
    void onSubscriptionError(const QJsonObject &message);
    // A subset's fill refused (4xx): its model reports it; true if so.
    bool subsetFillRefused(TableModel *model, QNetworkReply *reply);
    // The subscription is over (refused, or ended by the server): the model says why.
    void subsetFailed(const QString &id, const QString &code, const QString &message);
    void dropSubset(const QString &id);

    // The cache (cacheDirectory): filled from before connecting, written
    // (at most once a second, on its worker) while the models follow the server.
    QString urlText() const { return url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::StripTrailingSlash).toString(); }
    void loadCache(bool thenConnect);
    void onCacheLoaded(Internal::CacheStore::Loaded loaded);
    void cacheDone();
    void setFromCache(bool value);
    // The hello's identity: remembered for the token; rows of another one go.
    void identify(const QJsonObject &hello);
    // Every model goes, with the stream position: its rows were another identity's.
    void forgetModels();
    void markUnsaved(TableModel *model);
    void saveCache();
    // Durable writes (docs/cache.md): with a cache and a known identity,
    // each write is journaled, then sent in order while Ready.
    void openJournal();
    Reply *journalWrite(const QByteArray &method, const QString &table, const QVariantList &keyPrefix,
                        const QByteArray &body);
    void pumpWrites();
    void onWriteAnswered(QNetworkReply *reply);
    // An answered write shows as pending until its change streams back.
    void awaitEcho(const QByteArray &method, const QString &table, const QVariantList &rows);
    void seeEchoes(TableModel *model, const Internal::ServerChange &change);
    void expireEchoes();
    void updatePendingWrites();
    // The stream has passed these models' saved positions: nothing more to skip.
    void forgetCachedSeqsUpTo(quint64 seq)
    {
        for (auto it = cachedSeq.begin(); it != cachedSeq.end();)
            it = *it <= seq ? cachedSeq.erase(it) : std::next(it);
    }

    Client *q;
    QUrl url = QUrl(QStringLiteral("http://localhost:4000"));
    QString token;
    Status status = Disconnected;
    qreal progress = 0;
    Error error = NoError;
    QString errorString;

    QNetworkAccessManager *network = nullptr;
    QWebSocket *socket = nullptr;
    QStringList syncedTables{QStringLiteral("*")};
    QMap<QString, TableModel *> models;
    QHash<QString, QJsonObject> described; // per model, its table in GET / (to tell a changed table)
    QHash<QString, QJsonObject> available; // every table with a key in GET /: what subsets are made of
    QMap<QString, Subset> subsets;         // by id
    int lastSubsetId = 0;
    // Models whose snapshot (a whole table's made after a schema reload, or a
    // subset's fill) is on its way: their events wait here (with their
    // transaction's xid) and are applied over it.
    QHash<TableModel *, QList<std::pair<Internal::ServerChange, quint32>>> loading;
    // Models made for a new or changed table whose snapshot has not arrived:
    // a resumed stream replays only what happened while away, so these are
    // filled after it (a load that snapshots every table fills them too).
    QSet<QString> unfilled;
    bool schemaStale = false;        // {"type":"schema"} came while loading: reload once ready
    QPointer<QNetworkReply> schemaReload; // the GET / of a reload under way
    bool reloadAgain = false;        // another {"type":"schema"} came meanwhile
    QList<QPointer<QNetworkReply>> pending;
    QList<QJsonObject> buffered;     // events received while the snapshots load
    // Which transactions each model's snapshot already contains
    // (pg_current_snapshot() of its query): buffered events of those are skipped.
    QHash<TableModel *, Protocol::PgSnapshot> snapshots;
    QString epoch;                   // the server's stream identity (hello)
    quint64 lastSeq = 0;             // position of the last applied transaction
    bool haveSeq = false;
    int snapshotsLeft = 0;
    int snapshotsTotal = 0;
    bool subscribed = false;
    bool streaming = false;          // hello acted on: subscriptions may be sent
    // GET / and the WebSocket start together (one round trip less); what
    // the socket says before the description has arrived waits for it.
    bool haveSchema = false;
    std::optional<QJsonObject> heldHello;
    std::optional<std::pair<Error, QString>> socketLost; // closed before the description came
    bool everReady = false;
    int backoffMs = 0;
    QTimer retryTimer;

    std::unique_ptr<Internal::CacheStore> cache;
    // Whose rows the models hold (from the cache, or the last hello); none: unknown.
    std::optional<Internal::CacheIdentity> identity;
    bool cacheOpen = false;          // the models hold (or started from) identity's cache
    bool cacheLoading = false;
    bool connectAfterCache = false;  // start() waits for the cache
    bool fromCache = false;
    // The rows equal the stream at (epoch, lastSeq) plus what snapshots
    // says: false while a new load replaces them.
    bool consistent = false;
    // A cached model saved at a later position than lastSeq: the replay up
    // to there is in its rows already.
    QHash<TableModel *, quint64> cachedSeq;
    quint64 applyingSeq = 0;         // of the transaction being applied
    QSet<TableModel *> unsaved;
    QTimer saveTimer;
    QJsonArray schemaTables;         // the last GET /'s tables

    struct QueuedWrite
    {
        Internal::JournalEntry entry;
        QPointer<Reply> reply;       // the caller's; none for a write of an earlier run
    };
    std::unique_ptr<Internal::WriteJournal> journal; // of identity
    QList<QueuedWrite> writeQueue;   // journaled, not answered; the first may be on its way
    QPointer<QNetworkReply> writeInFlight;
    QTimer writeRetryTimer;
    int writeBackoffMs = 0;
    // Per model, the keys of answered writes whose change has not come back
    // yet, with when to stop waiting (ms since the epoch).
    QHash<TableModel *, QHash<QByteArray, qint64>> echoes;
    QTimer echoTimer;
    int reportedPendingWrites = 0;
};

// The key of a row (a JSON object) as the text that identifies it.
static QByteArray keyText(const QStringList &primaryKey, const QJsonObject &row)
{
    QJsonArray key;
    for (const QString &column : primaryKey)
        key.append(row.value(column));
    return QJsonDocument(key).toJson(QJsonDocument::Compact);
}

QNetworkRequest Client::Private::request(const QByteArray &path) const
{
    QByteArray base = url.toEncoded(QUrl::RemoveQuery | QUrl::RemoveFragment);
    while (base.endsWith('/'))
        base.chop(1);
    QNetworkRequest r(QUrl::fromEncoded(QByteArray(base + path), QUrl::StrictMode));
    if (!token.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    r.setRawHeader("Accept", "application/json");
    return r;
}

void Client::Private::setStatus(Status s)
{
    if (status == s)
        return;
    status = s;
    qCDebug(lcClient) << "status" << s;
    Q_EMIT q->statusChanged(s);
}

void Client::Private::setProgress(qreal p)
{
    if (qFuzzyCompare(progress, p))
        return;
    progress = p;
    Q_EMIT q->progressChanged(p);
}

void Client::Private::abortPending()
{
    // A new load reads the description afresh.
    schemaReload.clear();
    reloadAgain = false;
    const auto replies = std::exchange(pending, {});
    for (const QPointer<QNetworkReply> &r : replies) {
        if (r) {
            r->disconnect(q);
            r->abort();
            r->deleteLater();
        }
    }
    if (socket) {
        socket->disconnect(q);
        socket->abort();
        socket->deleteLater();
        socket = nullptr;
    }
    buffered.clear();
    loading.clear(); // the next load snapshots every table
    for (Subset &subset : subsets)
        subset.sent = false;
    subscribed = false;
    streaming = false;
    haveSchema = false;
    heldHello.reset();
    socketLost.reset();
    snapshotsLeft = 0;
}

void Client::Private::fail(Error e, const QString &message, bool retry)
{
    qCWarning(lcClient) << "error:" << message;
    abortPending();
    error = e;
    errorString = message;
    Q_EMIT q->errorOccurred(e, message);
    if (!retry) {
        setStatus(Disconnected);
        return;
    }
    setStatus(everReady ? Reconnecting : Connecting);
    backoffMs = backoffMs ? qMin(backoffMs * 2, 10000) : 250;
    retryTimer.start(backoffMs);
}

void Client::Private::connectToServer()
{
    abortPending();
    setProgress(0);
    schemaStale = false;
    QNetworkReply *reply = network->get(request("/"));
    pending.append(reply);
    QObject::connect(reply, &QNetworkReply::finished, q, [this, reply] { onSchema(reply); });
    // Subscribe at once: events from now on are buffered, then the snapshots
    // are taken once both hello and the description are here; replaying the
    // buffer over them is safe because events apply idempotently by key
    // (see docs/protocol.md).
    openSocket();
}

static int httpStatus(QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

// Failure of a request to the server as the Client's error kind and message.
static std::pair<Client::Error, QString> replyError(QNetworkReply *reply, const QByteArray &body)
{
    const int code = httpStatus(reply);
    if (code == 0)
        return {Client::ConnectionError, Client::tr("Cannot reach the server: %1").arg(reply->errorString())};
    QString message = QJsonDocument::fromJson(body).object().value(QLatin1String("message")).toString();
    if (message.isEmpty())
        message = Client::tr("The server answered %1.").arg(code);
    if (code == 401 || code == 403)
        return {Client::AuthenticationError, Client::tr("Access refused: %1").arg(message)};
    if (code >= 500)
        return {Client::ServerError, Client::tr("Server error: %1").arg(message)};
    return {Client::ProtocolError, message};
}

std::optional<QByteArray> Client::Private::takeBody(QNetworkReply *reply)
{
    pending.removeAll(reply);
    reply->deleteLater();
    const QByteArray body = reply->readAll();
    if (httpStatus(reply) != 200) {
        const auto [e, message] = replyError(reply, body);
        fail(e, message, e != AuthenticationError);
        return std::nullopt;
    }
    return body;
}

void Client::Private::onSchema(QNetworkReply *reply)
{
    const std::optional<QByteArray> body = takeBody(reply);
    if (!body)
        return;
    const QJsonObject schema = QJsonDocument::fromJson(*body).object();
    schemaTables = schema.value(QLatin1String("tables")).toArray();
    // Every model is snapshotted once hello is here, new or not; after a resume, the new ones.
    mergeSchema(schemaTables);
    haveSchema = true;
    if (socketLost) {
        const auto [e, message] = *socketLost;
        fail(e, message, true);
    } else if (heldHello) {
        onHello(*std::exchange(heldHello, std::nullopt));
    }
}

void Client::Private::openSocket()
{
    QByteArray base = url.toEncoded(QUrl::RemoveQuery | QUrl::RemoveFragment);
    while (base.endsWith('/'))
        base.chop(1);
    QUrl wsUrl = QUrl::fromEncoded(QByteArray(base + "/state"), QUrl::StrictMode);
    wsUrl.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss") : QStringLiteral("ws"));
    QUrlQuery query;
    if (!syncsAll()) {
        // A selective stream; "tables=" (not "tables") when the list is empty.
        QString tables = syncedTables.join(QLatin1Char(','));
        query.addQueryItem(Protocol::StateQuery::Tables, tables.isNull() ? QStringLiteral("") : tables);
    }
    if (haveSeq && !epoch.isEmpty()) {
        // Ask to resume after the last transaction we applied; the server
        // replays what we missed or says resumed=false and we re-snapshot.
        query.addQueryItem(Protocol::StateQuery::Since, QString::number(lastSeq));
        query.addQueryItem(Protocol::StateQuery::Epoch, epoch);
    }
    if (!query.isEmpty())
        wsUrl.setQuery(query);
    QNetworkRequest wsRequest(wsUrl);
    if (!token.isEmpty())
        wsRequest.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, q);
    QObject::connect(socket, &QWebSocket::textMessageReceived, q, [this](const QString &m) { onMessage(m); });
    QObject::connect(socket, &QWebSocket::disconnected, q, [this] { onSocketDisconnected(); });
    socket->open(wsRequest);
}

QStringList Client::Private::mergeSchema(const QJsonArray &tables)
{
    QStringList added;
    QSet<QString> present;
    available.clear();
    for (const QJsonValue &v : tables) {
        const QJsonObject t = v.toObject();
        const QString name = t.value(QLatin1String("name")).toString();
        if (t.value(QLatin1String("primaryKey")).toArray().isEmpty())
            continue; // no key, no model
        available.insert(name, t);
        if (!isSynced(name))
            continue; // a model only of the tables synced whole
        present.insert(name);
        const auto known = described.constFind(name);
        if (known != described.constEnd()) {
            // Rows of the old shape cannot be kept: a new model, a new snapshot.
            // A GRANT or REVOKE alone keeps the model and its rows.
            if (known->value(QLatin1String("columns")) == t.value(QLatin1String("columns"))
                && known->value(QLatin1String("primaryKey")) == t.value(QLatin1String("primaryKey"))) {
                described.insert(name, t);
                if (TableModel *model = models.value(name))
                    TableModelPrivate::get(model)->updatePrivileges(TableSchema::fromJson(t));
                continue;
            }
            removeModel(name);
        }
        addModel(t);
        added.append(name);
        unfilled.insert(name);
    }
    bool removed = false;
    const QStringList names = models.keys();
    for (const QString &name : names) {
        if (!present.contains(name)) {
            removeModel(name);
            removed = true;
            if (cache && identity)
                cache->remove(*identity, name); // gone from the schema (or from what the role may read)
        }
    }
    if (removed || !added.isEmpty())
        Q_EMIT q->tablesChanged();
    return added;
}

void Client::Private::removeModel(const QString &name)
{
    TableModel *model = models.take(name);
    described.remove(name);
    unfilled.remove(name);
    if (!model)
        return;
    loading.remove(model);
    snapshots.remove(model);
    cachedSeq.remove(model);
    unsaved.remove(model);
    if (echoes.remove(model))
        updatePendingWrites();
    qCDebug(lcClient) << "table" << name << "removed";
    Q_EMIT q->tableRemoved(model);
    model->deleteLater();
}

void Client::Private::reloadSchema()
{
    if (status != Ready) {
        // The load under way may have read the old description; the next
        // one (after a reconnect, or this one once ready) reads the new.
        schemaStale = true;
        return;
    }
    // One GET / at a time: two answers could arrive out of order, and the
    // older description would bring back a dropped table.
    if (schemaReload) {
        reloadAgain = true;
        return;
    }
    QNetworkReply *reply = network->get(request("/"));
    schemaReload = reply;
    pending.append(reply);
    QObject::connect(reply, &QNetworkReply::finished, q, [this, reply] { onSchemaReloaded(reply); });
}

void Client::Private::onSchemaReloaded(QNetworkReply *reply)
{
    schemaReload.clear();
    const std::optional<QByteArray> body = takeBody(reply);
    if (!body)
        return;
    if (std::exchange(reloadAgain, false)) {
        reloadSchema(); // this answer may predate the latest change: ask again
        return;
    }
    schemaTables = QJsonDocument::fromJson(*body).object().value(QLatin1String("tables")).toArray();
    const QStringList added = mergeSchema(schemaTables);
    // The same hand-off as the first load, per table: the stream is already
    // open, so events of a new table wait for its snapshot and are applied
    // over it unless the snapshot already holds them.
    for (const QString &name : added) {
        TableModel *model = models.value(name);
        loading.insert(model, {});
        fetchSnapshot(model);
    }
}

void Client::Private::addModel(const QJsonObject &tableJson)
{
    auto *model = new TableModel(TableSchema::fromJson(tableJson), q);
    TableModelPrivate::get(model)->setWriteTransport(this);
    const QString name = model->name();
    QObject::connect(model, &TableModel::created, q, [this, name](const QVariantList &rows) {
        Q_EMIT q->created(name, rows);
        Q_EMIT q->event(Protocol::actionName(Protocol::Action::Create), name, rows);
    });
    QObject::connect(model, &TableModel::updated, q, [this, name](const QVariantList &oldRows, const QVariantList &newRows) {
        Q_EMIT q->updated(name, oldRows, newRows);
        QVariantList pairs;
        for (qsizetype i = 0; i < newRows.size(); ++i)
            pairs.append(QVariant(QVariantList{oldRows.value(i), newRows.at(i)}));
        Q_EMIT q->event(Protocol::actionName(Protocol::Action::Update), name, pairs);
    });
    QObject::connect(model, &TableModel::deleted, q, [this, name](const QVariantList &rows) {
        Q_EMIT q->deleted(name, rows);
        Q_EMIT q->event(Protocol::actionName(Protocol::Action::Delete), name, rows);
    });
    models.insert(name, model);
    described.insert(name, tableJson);
    Q_EMIT q->tableAdded(model);
}

void Client::Private::onMessage(const QString &message)
{
    const QJsonObject m = QJsonDocument::fromJson(message.toUtf8()).object();
    const QString type = m.value(Protocol::Field::Type).toString();
    if (type == Protocol::MessageType::Hello) {
        subscribed = true;
        if (haveSchema)
            onHello(m);
        else
            heldHello = m;
    } else if (type == Protocol::MessageType::Event || type == Protocol::MessageType::Transaction
               || type == Protocol::MessageType::Position) {
        // A position moves lastSeq (where a reconnect resumes from) in
        // stream order, like a transaction without changes.
        if (status == Ready)
            applyMessage(m);
        else if (subscribed)
            buffered.append(m);
    } else if (type == Protocol::MessageType::Subscribed) {
        onSubscribed(m); // at once: the fill starts, the subset's changes wait for it
    } else if (type == Protocol::MessageType::SubscriptionError) {
        onSubscriptionError(m);
    } else if (type == Protocol::MessageType::Unsubscribed) {
        qCDebug(lcClient) << "unsubscribed" << m.value(Protocol::Field::Id).toString();
    } else if (type == Protocol::MessageType::Schema) {
        // The server reloaded its schema: tables may have come or gone.
        qCDebug(lcClient) << "schema changed on the server";
        reloadSchema();
    } else {
        qCWarning(lcClient) << "unexpected message from the server:" << message.left(200);
    }
}

void Client::Private::onHello(const QJsonObject &m)
{
    streaming = true;
    identify(m);
    const QString newEpoch = m.value(Protocol::Field::Epoch).toString();
    // Rows from the cache resume like rows of an earlier connection.
    if (m.value(Protocol::Field::Resumed).toBool() && newEpoch == epoch && (everReady || fromCache)) {
        // Nothing lost: the server replays what we missed right after hello.
        qCDebug(lcClient) << "resumed after" << lastSeq;
        // Tables that came or changed shape while away: the replay has
        // only their recent changes. The schema reload's hand-off fills them:
        // their part of the replay (some of it may be buffered already, when
        // hello waited for the description) waits for their snapshot.
        QList<TableModel *> toFill;
        for (const QString &name : std::as_const(unfilled)) {
            if (TableModel *model = models.value(name); model && !loading.contains(model)) {
                loading.insert(model, {});
                toFill.append(model);
            }
        }
        becomeReady();
        for (TableModel *model : std::as_const(toFill))
            fetchSnapshot(model);
        subscribeAll();
        return;
    }
    epoch = newEpoch;
    consistent = false; // until every table is fetched again
    // Everything up to hello's position is in the snapshots about to be
    // taken; later transactions come as events.
    lastSeq = Internal::jsonToUnsigned<quint64>(m.value(Protocol::Field::Seq));
    haveSeq = true;
    setStatus(Loading);
    fetchSnapshots();
    // After fetchSnapshots(), which forgets the snapshots of the last connection.
    subscribeAll();
}

void Client::Private::fetchSnapshots()
{
    snapshots.clear();
    snapshotsTotal = snapshotsLeft = int(models.size());
    if (snapshotsLeft == 0) {
        becomeReady();
        return;
    }
    for (TableModel *model : std::as_const(models))
        fetchSnapshot(model);
}

void Client::Private::fetchSnapshot(TableModel *model)
{
    cachedSeq.remove(model); // its rows are replaced
    QByteArray path = "/query/" + QUrl::toPercentEncoding(model->name());
    if (TableModelPrivate::get(model)->isSubset()) // a subset's fill: its filter, its columns and the key
        path += '?' + Internal::fillQuery(model->query(), model->columnNames());
    QNetworkReply *reply = network->get(request(path));
    pending.append(reply);
    QPointer<TableModel> guard = model;
    // The rows are read while the body arrives (docs/performance.md, figure 6).
    auto reader = std::make_shared<Internal::SnapshotReader>(model);
    QObject::connect(reply, &QNetworkReply::readyRead, q, [guard, reply, reader] {
        if (guard && httpStatus(reply) == 200) // an error's body is read once finished
            reader->append(reply->readAll(), reply->header(QNetworkRequest::ContentLengthHeader).toLongLong());
    });
    QObject::connect(reply, &QNetworkReply::finished, q, [this, guard, reply, reader] {
        if (guard) {
            onSnapshot(guard, reply, reader.get());
        } else { // removed by a later schema reload meanwhile
            pending.removeAll(reply);
            reply->deleteLater();
        }
    });
}

void Client::Private::onSnapshot(TableModel *model, QNetworkReply *reply, Internal::SnapshotReader *reader)
{
    TableModelPrivate *m = TableModelPrivate::get(model);
    if (m->isSubset() && subsetFillRefused(model, reply))
        return;
    const std::optional<QByteArray> rest = takeBody(reply); // what readyRead left
    if (!rest)
        return;
    if (const auto snapshot = Protocol::PgSnapshot::parse(reply->rawHeader("Aiodata-Snapshot")))
        snapshots.insert(model, *snapshot);
    // Straight into the model's packed rows; no QJsonDocument of the whole
    // body (docs/performance.md, figures 6 and 7).
    reader->append(*rest);
    if (!reader->finish()) {
        // The model keeps its rows; try the whole load again, as after a lost connection.
        fail(ProtocolError, Client::tr("The server sent an unreadable copy of table %1.").arg(model->name()), true);
        return;
    }
    m->setLoaded();
    if (!m->isSubset()) {
        unfilled.remove(model->name());
        markUnsaved(model);
    }
    if (const auto waiting = loading.find(model); waiting != loading.end()) {
        // A table that came with a schema reload, or a subset: its events so far, over the snapshot.
        const auto changes = std::move(*waiting);
        loading.erase(waiting);
        for (const auto &[change, xid] : changes)
            applyChange(change, xid);
        return;
    }
    --snapshotsLeft;
    setProgress(qreal(snapshotsTotal - snapshotsLeft) / snapshotsTotal);
    if (snapshotsLeft == 0)
        becomeReady();
}

void Client::Private::becomeReady()
{
    const QList<QJsonObject> events = std::exchange(buffered, {});
    for (const QJsonObject &e : events)
        applyMessage(e);
    backoffMs = 0;
    everReady = true;
    consistent = true;
    setFromCache(false);
    error = NoError;
    errorString.clear();
    setProgress(1);
    setStatus(Ready);
    Q_EMIT q->ready();
    pumpWrites();
    if (!unsaved.isEmpty() && !saveTimer.isActive())
        saveTimer.start();
    if (std::exchange(schemaStale, false))
        reloadSchema();
}

void Client::Private::applyMessage(const QJsonObject &message)
{
    // One transaction, applied in one go: views repaint after all of it.
    const Internal::ServerMessage m = Internal::decodeServerMessage(message);
    applyingSeq = m.seq;
    for (const Internal::ServerChange &change : m.changes)
        applyChange(change, m.xid);
    applyingSeq = 0;
    lastSeq = qMax(lastSeq, m.seq);
    haveSeq = true;
    forgetCachedSeqsUpTo(lastSeq);
    // The stream lags behind commits, so a transaction a snapshot already
    // holds may arrive after the client is ready. Events come in commit
    // order: after the first one a snapshot does not hold, none it holds can
    // follow, and its filter can go.
    if (m.xid != 0) {
        for (auto it = snapshots.begin(); it != snapshots.end();) {
            if (it->sees(m.xid))
                ++it;
            else
                it = snapshots.erase(it);
        }
    }
}

void Client::Private::applyChange(const Internal::ServerChange &change, quint32 xid)
{
    // A subset's change is for its model alone, a table's for the whole
    // table's model alone: the two never see each other's changes.
    if (change.subset == Protocol::EverySubset) {
        // Removals (and truncates) for every subset of the table on this
        // stream but those excepted: one change instead of one per subset.
        for (auto it = subsets.cbegin(); it != subsets.cend(); ++it) {
            if (it->table == change.table && !change.except.contains(it.key()))
                applyChangeTo(subsetModel(it.key()), change, xid);
        }
        return;
    }
    applyChangeTo(change.subset.isEmpty() ? models.value(change.table) : subsetModel(change.subset), change, xid);
}

void Client::Private::applyChangeTo(TableModel *model, const Internal::ServerChange &change, quint32 xid)
{
    if (!model)
        return;
    if (const auto waiting = loading.find(model); waiting != loading.end()) {
        waiting->append({change, xid}); // its snapshot is on its way
        return;
    }
    // Already in this model's snapshot: applying it again would show the
    // change twice (the rows would converge, the signals would not).
    const auto snapshot = snapshots.constFind(model);
    if (snapshot != snapshots.constEnd() && xid != 0 && snapshot->sees(xid))
        return;
    // The same for a replay of what a cached model's file holds already.
    if (const auto cached = cachedSeq.constFind(model); cached != cachedSeq.constEnd() && applyingSeq != 0
        && applyingSeq <= *cached)
        return;
    if (!Internal::applyServerChange(model, change)) {
        qCWarning(lcClient) << "unknown event action" << change.actionName;
    } else if (!TableModelPrivate::get(model)->isSubset()) {
        markUnsaved(model);
        if (!echoes.isEmpty())
            seeEchoes(model, change);
    }
}

void Client::Private::onSocketDisconnected()
{
    if (!socket)
        return;
    const QString reason = socket->closeReason().isEmpty() ? socket->errorString() : socket->closeReason();
    const bool refused = !subscribed && socket->closeCode() == QWebSocketProtocol::CloseCodePolicyViolated;
    const Error e = refused ? AuthenticationError : ConnectionError;
    const QString message = Client::tr("Lost the connection to the server: %1").arg(reason);
    if (!haveSchema) {
        // GET / is still on its way: its answer (say, a refused token) tells more.
        socketLost = std::pair(e, message);
        return;
    }
    fail(e, message, true);
}

bool Client::Private::isSynced(const QString &table) const
{
    return syncsAll() || syncedTables.contains(table);
}

void Client::Private::send(const QJsonObject &message)
{
    if (socket)
        socket->sendTextMessage(QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

void Client::Private::subscribe(const QString &id)
{
    const auto it = subsets.find(id);
    if (it == subsets.end() || it->sent || it->failed || !streaming)
        return;
    if (syncsAll()) {
        // A full stream takes no subscriptions (docs/protocol.md, "Subsets").
        subsetFailed(id, QString(), Client::tr("A subset needs a selective stream: set Client::syncedTables."));
        return;
    }
    it->sent = true;
    qCDebug(lcClient) << "subscribe" << id << it->table << it->query;
    send({{Protocol::Field::Type, Protocol::MessageType::Subscribe},
          {Protocol::Field::Id, id},
          {Protocol::Field::Table, it->table},
          {Protocol::Field::Query, QString::fromUtf8(Internal::encodedQuery(it->query))}});
}

void Client::Private::subscribeAll()
{
    const QStringList ids = subsets.keys();
    for (const QString &id : ids)
        subscribe(id);
}

TableModel *Client::Private::subsetModel(const QString &id) const
{
    const auto it = subsets.constFind(id);
    return it != subsets.constEnd() && it->sent && !it->failed ? it->model : nullptr;
}

void Client::Private::onSubscribed(const QJsonObject &message)
{
    const QString id = message.value(Protocol::Field::Id).toString();
    TableModel *model = subsetModel(id);
    if (!model || loading.contains(model))
        return; // dropped meanwhile, or said twice
    // The whole table's hand-off: changes from now on wait for the fill and
    // are applied over it unless its snapshot holds them.
    loading.insert(model, {});
    fetchSnapshot(model);
}

void Client::Private::onSubscriptionError(const QJsonObject &message)
{
    const QString id = message.value(Protocol::Field::Id).toString();
    if (!subsetModel(id))
        return;
    // The REST API's words for the same query, as Reply gives them.
    QString text = message.value(Protocol::Field::Message).toString();
    if (text.isEmpty())
        text = Client::tr("The server refused the subscription.");
    const QString details = message.value(Protocol::Field::Details).toString();
    if (!details.isEmpty())
        text += QLatin1String(" (") + details + QLatin1Char(')');
    subsetFailed(id, message.value(Protocol::Field::Code).toString(), text);
}

bool Client::Private::subsetFillRefused(TableModel *model, QNetworkReply *reply)
{
    // 4xx: this query is refused (the token expired, a policy changed); the
    // connection is fine. Anything else fails the load and is retried.
    const int code = httpStatus(reply);
    if (code < 400 || code >= 500)
        return false;
    pending.removeAll(reply);
    reply->deleteLater();
    const QByteArray body = reply->readAll();
    const QJsonObject error = QJsonDocument::fromJson(body).object();
    // The server holds the subscription still: end it.
    const QString id = TableModelPrivate::get(model)->subsetId;
    send({{Protocol::Field::Type, Protocol::MessageType::Unsubscribe}, {Protocol::Field::Id, id}});
    subsetFailed(id, error.value(QLatin1String("code")).toString(), replyError(reply, body).second);
    return true;
}

void Client::Private::subsetFailed(const QString &id, const QString &code, const QString &message)
{
    const auto it = subsets.find(id);
    if (it == subsets.end())
        return;
    it->failed = true;
    loading.remove(it->model);
    snapshots.remove(it->model);
    TableModelPrivate::get(it->model)->setError(code, message);
}

void Client::Private::dropSubset(const QString &id)
{
    const Subset subset = subsets.take(id);
    loading.remove(subset.model);
    snapshots.remove(subset.model);
    if (subset.sent && !subset.failed) {
        qCDebug(lcClient) << "unsubscribe" << id;
        send({{Protocol::Field::Type, Protocol::MessageType::Unsubscribe}, {Protocol::Field::Id, id}});
    }
}

void Client::Private::loadCache(bool thenConnect)
{
    connectAfterCache = connectAfterCache || thenConnect;
    if (cacheLoading)
        return;
    const std::optional<Internal::CacheIdentity> found = cache ? cache->identityOf(urlText(), token) : std::nullopt;
    if (!cache || (cacheOpen && found && found == identity)) {
        // Nothing to read, or the models already hold it (and are newer).
        QTimer::singleShot(0, q, [this] { cacheDone(); });
        cacheLoading = true;
        return;
    }
    // Rows held for another identity (or for none known) must not stay.
    if (!models.isEmpty() && identity != found)
        forgetModels();
    identity = found;
    cacheOpen = true;
    cacheLoading = true;
    if (!found) {
        qCDebug(lcCache) << "no cache for this server and token yet";
        QTimer::singleShot(0, q, [this] { cacheDone(); });
        return;
    }
    qCDebug(lcCache) << "opening the cache of" << found->role << "on" << found->url << found->schema;
    openJournal();
    cache->load(*found, q, [this](Internal::CacheStore::Loaded loaded) { onCacheLoaded(std::move(loaded)); });
}

void Client::Private::onCacheLoaded(Internal::CacheStore::Loaded loaded)
{
    for (const QString &file : std::as_const(loaded.discarded))
        qCWarning(lcCache) << "discarded a cache file:" << file << "(the table is fetched from the server)";
    QString cachedEpoch;
    quint64 minSeq = std::numeric_limits<quint64>::max();
    bool added = false;
    for (Internal::CacheFile::Contents &table : loaded.tables) {
        const QString name = table.header.tableName();
        if (!isSynced(name) || models.contains(name))
            continue;
        // One stream position for all: tables of another epoch are fetched.
        if (cachedEpoch.isEmpty())
            cachedEpoch = table.header.epoch;
        if (table.header.epoch != cachedEpoch)
            continue;
        addModel(table.header.table);
        available.insert(name, table.header.table);
        TableModel *model = models.value(name);
        TableModelPrivate *m = TableModelPrivate::get(model);
        m->replaceRowsRead(std::move(table.rows));
        m->setLoaded();
        cachedSeq.insert(model, table.header.seq);
        minSeq = qMin(minSeq, table.header.seq);
        if (const auto snapshot = Protocol::PgSnapshot::parse(table.header.snapshot))
            snapshots.insert(model, *snapshot);
        added = true;
    }
    if (added) {
        // Resume after the oldest file's position; the others skip what they hold.
        epoch = cachedEpoch;
        lastSeq = minSeq;
        haveSeq = true;
        consistent = true;
        forgetCachedSeqsUpTo(lastSeq);
        qCDebug(lcCache) << "opened" << models.size() << "tables at" << epoch << lastSeq;
        Q_EMIT q->tablesChanged();
        setFromCache(true);
    }
    cacheDone();
}

void Client::Private::cacheDone()
{
    cacheLoading = false;
    Q_EMIT q->cacheOpened();
    if (std::exchange(connectAfterCache, false) && status != Disconnected)
        connectToServer();
}

void Client::Private::setFromCache(bool value)
{
    if (fromCache == value)
        return;
    fromCache = value;
    Q_EMIT q->fromCacheChanged(value);
}

void Client::Private::identify(const QJsonObject &hello)
{
    if (!cache)
        return;
    const Internal::CacheIdentity seen{urlText(), hello.value(Protocol::Field::Role).toString(),
                                       hello.value(Protocol::Field::Schema).toString()};
    cache->remember(token, seen);
    if (identity && *identity != seen) {
        // The server now gives this token another role (or schema): what
        // the models show is not for it. Start again from the description.
        qCWarning(lcCache) << "the token is now role" << seen.role << "not" << identity->role << ": the cached rows go";
        forgetModels();
        mergeSchema(schemaTables);
    }
    identity = seen;
    cacheOpen = true;
    openJournal();
}

void Client::Private::forgetModels()
{
    const QStringList names = models.keys();
    for (const QString &name : names)
        removeModel(name);
    if (!names.isEmpty())
        Q_EMIT q->tablesChanged();
    snapshots.clear();
    cachedSeq.clear();
    unsaved.clear();
    epoch.clear();
    lastSeq = 0;
    haveSeq = false;
    everReady = false;
    consistent = false;
    setFromCache(false);
}

void Client::Private::markUnsaved(TableModel *model)
{
    if (!cache || !identity)
        return;
    unsaved.insert(model);
    if (!saveTimer.isActive())
        saveTimer.start();
}

void Client::Private::saveCache()
{
    if (!cache || !identity || !consistent)
        return; // saved once the rows are consistent again (becomeReady)
    for (auto it = unsaved.begin(); it != unsaved.end();) {
        TableModel *model = *it;
        TableModelPrivate *m = TableModelPrivate::get(model);
        if (loading.contains(model) || !m->loaded) {
            ++it; // its snapshot is on its way: later
            continue;
        }
        Internal::CacheHeader header;
        header.url = identity->url;
        header.role = identity->role;
        header.schema = identity->schema;
        header.table = described.value(model->name());
        header.epoch = epoch;
        header.seq = qMax(lastSeq, cachedSeq.value(model));
        if (const auto snapshot = snapshots.constFind(model); snapshot != snapshots.constEnd())
            header.snapshot = snapshot->toText();
        // The rows are shared with the worker: no copy unless the model changes meanwhile.
        cache->save(*identity, header, m->rows);
        it = unsaved.erase(it);
    }
}

QNetworkRequest Client::Private::writeRequest(const QString &table, const QVariantList &keyPrefix,
                                              const QByteArray &key) const
{
    QByteArray path = "/query/" + QUrl::toPercentEncoding(table);
    for (const QVariant &k : keyPrefix)
        path += '/' + QUrl::toPercentEncoding(k.toString());
    QNetworkRequest r = request(path);
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    r.setRawHeader("Prefer", "return=representation");
    // A request whose answer was lost is sent again, even a POST: the key
    // lets the server run the write once and replay its answer.
    r.setRawHeader("Idempotency-Key", key);
    return r;
}

Reply *Client::Private::sendWrite(const QByteArray &method, const QString &table, const QVariantList &keyPrefix,
                                  const QByteArray &body)
{
    if (journal)
        return journalWrite(method, table, keyPrefix, body);
    const QNetworkRequest r = writeRequest(table, keyPrefix, QUuid::createUuid().toByteArray(QUuid::WithoutBraces));
    auto *reply = new Reply(q);
    // The reply object is the caller's to keep; free it with the client otherwise.
    // Qt 6.4 and 6.8's QNetworkAccessManager resends a request whose answer
    // was lost, 6.11's not: Reply does, on every version.
    ReplyPrivate::get(reply)->sendRequest([network = network, r, method, body] {
        return network->sendCustomRequest(r, method, body);
    });
    return reply;
}

void Client::Private::openJournal()
{
    if (!cache || !identity)
        return;
    const QString path = cache->journalPath(*identity);
    if (journal && journal->path() == path)
        return;
    if (writeInFlight) {
        writeInFlight->disconnect(q);
        writeInFlight->abort();
        writeInFlight->deleteLater();
    }
    // Writes of another identity stay in its journal, for when its token comes back.
    for (QueuedWrite &w : writeQueue) {
        if (w.reply)
            ReplyPrivate::get(w.reply)->finish(Reply::NetworkError,
                                               Client::tr("The token is now another role: the write stays queued for the role it was made as."),
                                               0, {});
    }
    writeQueue.clear();
    echoes.clear();
    journal = std::make_unique<Internal::WriteJournal>();
    QString why;
    if (!journal->open(path, &why)) {
        qCWarning(lcCache).noquote() << "cannot open the write journal" << path << ':' << why
                                     << "- writes are sent without it";
        journal.reset();
    } else {
        for (const Internal::JournalEntry &e : journal->pending())
            writeQueue.append({e, nullptr});
        if (!writeQueue.isEmpty())
            qCInfo(lcCache) << writeQueue.size() << "journaled write(s) to send";
    }
    updatePendingWrites();
    pumpWrites();
}

Reply *Client::Private::journalWrite(const QByteArray &method, const QString &table, const QVariantList &keyPrefix,
                                     const QByteArray &body)
{
    auto *reply = new Reply(q);
    Internal::JournalEntry entry{QUuid::createUuid().toByteArray(QUuid::WithoutBraces), method, table, keyPrefix, body};
    QString why;
    if (!journal->append(entry, &why)) {
        qCWarning(lcCache).noquote() << "cannot journal a write:" << why;
        // After the caller has connected to the reply.
        QTimer::singleShot(0, reply, [reply, why] {
            ReplyPrivate::get(reply)->finish(Reply::NetworkError, Client::tr("Cannot store the write: %1").arg(why), 0, {});
        });
        return reply;
    }
    writeQueue.append({entry, reply});
    updatePendingWrites();
    pumpWrites();
    return reply;
}

void Client::Private::pumpWrites()
{
    if (writeInFlight || writeQueue.isEmpty() || status != Ready || writeRetryTimer.isActive())
        return;
    // One at a time: the server applies them in the order they were made.
    const Internal::JournalEntry &e = writeQueue.constFirst().entry;
    writeInFlight = network->sendCustomRequest(writeRequest(e.table, e.keyPrefix, e.id), e.method, e.body);
    QObject::connect(writeInFlight, &QNetworkReply::finished, q,
                     [this, reply = writeInFlight.data()] { onWriteAnswered(reply); });
}

void Client::Private::onWriteAnswered(QNetworkReply *networkReply)
{
    networkReply->deleteLater();
    writeInFlight.clear();
    if (writeQueue.isEmpty())
        return;
    const ReplyPrivate::Answer a = ReplyPrivate::readAnswer(networkReply);
    const int http = a.httpStatus;
    if (http == 0 || http == 401 || http == 502 || http == 503 || http == 504) {
        // Not an answer about the write: it stays first and goes again,
        // with its key. A refused token waits for the next Ready (a new token).
        qCDebug(lcCache) << "journaled write not answered, kept:" << http << a.errorString;
        if (http == 401 || a.canceled)
            return;
        writeBackoffMs = writeBackoffMs ? qMin(writeBackoffMs * 2, 10000) : 250;
        writeRetryTimer.start(writeBackoffMs);
        return;
    }
    writeBackoffMs = 0;
    const QueuedWrite w = writeQueue.takeFirst();
    journal->markDone(w.entry.id);
    if (a.error == Reply::NoError) {
        awaitEcho(w.entry.method, w.entry.table, a.rows);
    } else {
        qCWarning(lcCache).noquote() << "the server refused a journaled write to" << w.entry.table << ':' << a.errorString;
        const QVariantMap write{{QStringLiteral("method"), QString::fromLatin1(w.entry.method)},
                                {QStringLiteral("key"), w.entry.keyPrefix},
                                {QStringLiteral("values"), QJsonDocument::fromJson(w.entry.body).toVariant()}};
        Q_EMIT q->writeRefused(w.entry.table, write, a.errorCode, a.errorString);
    }
    if (w.reply)
        ReplyPrivate::get(w.reply)->finish(a);
    updatePendingWrites();
    pumpWrites();
}

void Client::Private::awaitEcho(const QByteArray &method, const QString &table, const QVariantList &rows)
{
    TableModel *model = models.value(table);
    if (!model || rows.isEmpty())
        return;
    const qint64 deadline = QDateTime::currentMSecsSinceEpoch() + 5000;
    const QStringList key = model->primaryKey();
    for (const QVariant &row : rows) {
        const QJsonObject answered = QJsonObject::fromVariantMap(row.toMap());
        // The stream may have been quicker than the answer: a change already
        // in the rows is not waited for.
        QVariantList keyValues;
        for (const QString &column : key)
            keyValues.append(answered.value(column).toVariant());
        const int at = model->indexOfKey(keyValues);
        bool seen = method == "DELETE" ? at < 0 : at >= 0;
        if (seen && at >= 0) {
            const QVariantMap shown = model->row(at);
            for (auto it = answered.begin(); seen && it != answered.end(); ++it)
                seen = QJsonValue::fromVariant(shown.value(it.key())) == it.value();
        }
        if (!seen)
            echoes[model].insert(keyText(key, answered), deadline);
    }
    if (!echoes.isEmpty() && !echoTimer.isActive())
        echoTimer.start();
}

void Client::Private::seeEchoes(TableModel *model, const Internal::ServerChange &change)
{
    const auto found = echoes.find(model);
    if (found == echoes.end())
        return;
    const QStringList key = model->primaryKey();
    for (const QJsonArray *rows : {&change.rows, &change.old}) {
        for (const QJsonValue &row : *rows)
            found->remove(keyText(key, row.toObject()));
    }
    if (found->isEmpty())
        echoes.erase(found);
    updatePendingWrites();
}

void Client::Private::expireEchoes()
{
    // A change the stream never sends back (a row the role may write but
    // not read, say) is not waited for forever.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (auto model = echoes.begin(); model != echoes.end();) {
        model->removeIf([now](const auto &entry) { return entry.value() <= now; });
        model = model->isEmpty() ? echoes.erase(model) : std::next(model);
    }
    if (echoes.isEmpty())
        echoTimer.stop();
    updatePendingWrites();
}

void Client::Private::updatePendingWrites()
{
    int n = int(writeQueue.size());
    for (const auto &keys : std::as_const(echoes))
        n += int(keys.size());
    if (n == reportedPendingWrites)
        return;
    reportedPendingWrites = n;
    Q_EMIT q->pendingWritesChanged(n);
}

Client::Client(QObject *parent)
    : QObject(parent)
    , d(new Private(this))
{
    d->network = new QNetworkAccessManager(this);
    d->retryTimer.setSingleShot(true);
    connect(&d->retryTimer, &QTimer::timeout, this, [this] { d->connectToServer(); });
    // Changes come in bursts: one write of a table per second at most.
    d->saveTimer.setSingleShot(true);
    d->saveTimer.setInterval(1000);
    connect(&d->saveTimer, &QTimer::timeout, this, [this] { d->saveCache(); });
    d->writeRetryTimer.setSingleShot(true);
    connect(&d->writeRetryTimer, &QTimer::timeout, this, [this] { d->pumpWrites(); });
    d->echoTimer.setInterval(1000);
    connect(&d->echoTimer, &QTimer::timeout, this, [this] { d->expireEchoes(); });
}

Client::~Client()
{
    d->saveCache(); // and the store waits for its files when it goes
    if (d->writeInFlight)
        d->writeInFlight->disconnect(this); // it stays journaled: sent again next time
    d->abortPending();
    // Subset models go first, while d still takes their destroyed().
    const QList<TableModel *> models = subsets();
    qDeleteAll(models);
}

QUrl Client::url() const { return d->url; }
void Client::setUrl(const QUrl &url)
{
    if (d->url == url)
        return;
    d->url = url;
    Q_EMIT urlChanged();
}

QString Client::token() const { return d->token; }
void Client::setToken(const QString &token)
{
    if (d->token == token)
        return;
    d->token = token;
    Q_EMIT tokenChanged();
}

Client::Status Client::status() const { return d->status; }
qreal Client::progress() const { return d->progress; }
Client::Error Client::error() const { return d->error; }
QString Client::errorString() const { return d->errorString; }
QStringList Client::syncedTables() const { return d->syncedTables; }

void Client::setSyncedTables(const QStringList &tables)
{
    if (d->syncedTables == tables)
        return;
    d->syncedTables = tables;
    Q_EMIT syncedTablesChanged();
    if (d->status == Disconnected)
        return;
    // Another stream, other whole tables: connect again (and resume when the
    // server can); mergeSchema() adds and removes the models.
    d->retryTimer.stop();
    d->setStatus(d->everReady ? Reconnecting : Connecting);
    d->connectToServer();
}

QString Client::cacheDirectory() const { return d->cache ? d->cache->directory() : QString(); }

void Client::setCacheDirectory(const QString &directory)
{
    if (cacheDirectory() == directory)
        return;
    d->saveCache(); // what is unsaved belongs to the old folder
    d->cache.reset(directory.isEmpty() ? nullptr : new Internal::CacheStore(directory));
    d->cacheOpen = false;
    Q_EMIT cacheDirectoryChanged();
}

bool Client::isFromCache() const { return d->fromCache; }
int Client::pendingWrites() const { return d->reportedPendingWrites; }

void Client::openCache() { d->loadCache(false); }

QStringList Client::tableNames() const { return d->models.keys(); }
TableModel *Client::table(const QString &name) const { return d->models.value(name); }
QList<TableModel *> Client::tables() const { return d->models.values(); }

TableModel *Client::model(const QString &table, const QString &query)
{
    for (const Private::Subset &subset : std::as_const(d->subsets)) {
        if (subset.table == table && subset.query == query)
            return subset.model;
    }
    if (d->syncsAll()) {
        qCWarning(lcClient) << "no subset of" << table << "while syncedTables is {\"*\"}: subsets need a selective stream";
        return nullptr;
    }
    const auto described = d->available.constFind(table);
    if (described == d->available.constEnd()) {
        qCWarning(lcClient) << "no subset of" << table << ": not a readable table with a primary key (or the schema has not arrived)";
        return nullptr;
    }
    const QString id = QStringLiteral("s%1").arg(++d->lastSubsetId);
    auto *model = new TableModel(Internal::subsetSchema(TableSchema::fromJson(*described), query), this);
    TableModelPrivate *m = TableModelPrivate::get(model);
    m->setWriteTransport(d.get());
    m->subsetId = id;
    m->query = query;
    // The app may delete the model: that ends the subscription.
    connect(model, &QObject::destroyed, this, [this, id] { d->dropSubset(id); });
    d->subsets.insert(id, Private::Subset{table, query, model});
    d->subscribe(id);
    return model;
}

QList<TableModel *> Client::subsets() const
{
    QList<TableModel *> result;
    for (const Private::Subset &subset : std::as_const(d->subsets))
        result.append(subset.model);
    return result;
}

bool Client::installTranslator(const QLocale &locale)
{
    auto *translator = new QTranslator(QCoreApplication::instance());
    if (!translator->load(locale, QStringLiteral("aiodata"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        delete translator;
        return false;
    }
    return QCoreApplication::installTranslator(translator);
}

void Client::start()
{
    if (d->status != Disconnected)
        return;
    d->backoffMs = 0;
    d->setStatus(Connecting);
    if (d->cache)
        d->loadCache(true); // the models from disk first, then the server
    else
        d->connectToServer();
}

void Client::stop()
{
    d->retryTimer.stop();
    d->abortPending();
    d->connectAfterCache = false;
    d->saveCache();
    d->setStatus(Disconnected);
}

} // namespace Aiodata
