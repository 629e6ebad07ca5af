#include "fanout/fanout.h"

#include "base/logging.h"
#include "fanout/clientmessage.h"
#include "fanout/rowfilter.h"
#include "fanout/subsetfilter.h"
#include "capture/walvalueformatter.h"

#include <QPointer>
#include <QSet>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <limits>
#include <utility>

namespace Aiodata::Server {

namespace {

// What one pass over the subscribers works out per kind of subscriber
// (a message, a verdict). Runs of the same kind, the usual case, take the
// last value; the hash is only built once a second kind shows up.
template<typename T>
class PerKind
{
public:
    template<typename Compute>
    const T &value(const QString &kind, Compute compute)
    {
        if (m_lastKind.isNull() || kind != m_lastKind) {
            if (!m_lastKind.isNull())
                m_earlier.insert(m_lastKind, m_last);
            const auto it = m_earlier.constFind(kind);
            m_last = it != m_earlier.constEnd() ? *it : compute();
            m_lastKind = kind;
        }
        return m_last;
    }

private:
    QString m_lastKind;
    T m_last{};
    QHash<QString, T> m_earlier;
};

} // namespace

namespace P = Aiodata::Protocol;

// Appends "key": (names from protocol/messages.h, the client's too).
static void appendKey(QByteArray &m, QLatin1String key)
{
    m += '"';
    m.append(key.data(), key.size());
    m += "\":";
}

static void appendName(QByteArray &m, QLatin1String name)
{
    m += '"';
    m.append(name.data(), name.size());
    m += '"';
}

// Appends one change's fields ("action":...,"rows":[...]) to an event.
static void appendChange(QByteArray &m, const Change &change)
{
    appendKey(m, P::Field::Action);
    appendName(m, P::actionName(change.action));
    m += ',';
    appendKey(m, P::Field::Schema);
    WalValueFormatter::appendString(m, change.schema.toUtf8());
    m += ',';
    appendKey(m, P::Field::Table);
    WalValueFormatter::appendString(m, change.table.toUtf8());
    m += ',';
    if (!change.subset.isEmpty()) {
        appendKey(m, P::Field::Subset);
        WalValueFormatter::appendString(m, change.subset.toUtf8());
        m += ',';
    }
    if (!change.except.isEmpty()) {
        appendKey(m, P::Field::Except);
        m += '[';
        for (qsizetype i = 0; i < change.except.size(); ++i) {
            if (i)
                m += ',';
            WalValueFormatter::appendString(m, change.except.at(i).toUtf8());
        }
        m += "],";
    }
    appendKey(m, P::Field::Rows);
    m += change.rows;
    if (change.action == Change::Action::Update) {
        m += ',';
        appendKey(m, P::Field::Old);
        m += change.oldRows;
    }
}

Fanout::Fanout(ChangeSource *source, RowFilter *rowFilter, QObject *parent)
    : QObject(parent)
    , m_source(source)
    , m_historyFloor(source->startSeq())
    , m_rowFilter(rowFilter)
{
    connect(source, &ChangeSource::committed, this, &Fanout::onCommitted);
    connect(source, &ChangeSource::advanced, this, &Fanout::onAdvanced);
    connect(source, &ChangeSource::reset, this, [this] {
        // The stream has a gap (or a new epoch): everyone re-snapshots.
        m_history.clear();
        m_historyBytes = 0;
        m_historyFloor = m_source->startSeq();
        m_checkQueues.clear();
        ++m_generation; // row checks still running belong to the old stream
        const QList<Subscriber> subscribers = m_subscribers;
        for (const Subscriber &s : subscribers)
            s.socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("event stream restarted"));
        for (const Waiting &w : std::exchange(m_waiting, {}))
            w.socket->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("event stream restarted"));
    });
}

void Fanout::setMaxHistoryAge(qint64 ms)
{
    m_maxHistoryAgeMs = ms;
    if (!m_evictTimer) {
        // Age counts also while nothing is committed.
        m_evictTimer = new QTimer(this);
        connect(m_evictTimer, &QTimer::timeout, this, &Fanout::evict);
    }
    if (ms > 0)
        m_evictTimer->start(int(qBound(qint64(200), ms / 10, qint64(60000))));
    else
        m_evictTimer->stop();
}

Fanout::~Fanout() = default;

QByteArray Fanout::encode(const Transaction &transaction, const SubscriberContext &context)
{
    if (transaction.changes.isEmpty()) {
        QByteArray m = "{";
        appendKey(m, P::Field::Type);
        appendName(m, P::MessageType::Position);
        m += ',';
        appendKey(m, P::Field::Seq);
        m += QByteArray::number(transaction.seq);
        m += '}';
        return m;
    }
    // One buffer, sized up front: this runs for every event and kind.
    qsizetype visible = 0;
    qsizetype size = 64;
    // A subset's changes were made for this subscriber (SubsetFilter).
    auto isVisible = [&context](const Change &c) {
        return c.subset.isEmpty() ? context.streamsWhole(c.schema, c.table) : true;
    };
    for (const Change &c : transaction.changes) {
        if (isVisible(c)) {
            ++visible;
            size += 64 + c.schema.size() + c.table.size() + c.rows.size() + c.oldRows.size();
        }
    }
    if (visible == 0)
        return QByteArray();
    QByteArray m;
    m.reserve(size);
    m += '{';
    appendKey(m, P::Field::Type);
    appendName(m, visible == 1 ? P::MessageType::Event : P::MessageType::Transaction);
    m += ',';
    appendKey(m, P::Field::Seq);
    m += QByteArray::number(transaction.seq);
    m += ',';
    appendKey(m, P::Field::Xid);
    m += QByteArray::number(transaction.xid);
    if (visible == 1) {
        m += ',';
        for (const Change &c : transaction.changes) {
            if (isVisible(c))
                appendChange(m, c);
        }
        m += '}';
        return m;
    }
    m += ',';
    appendKey(m, P::Field::Events);
    m += '[';
    bool first = true;
    for (const Change &c : transaction.changes) {
        if (!isVisible(c))
            continue;
        m += first ? "{" : ",{";
        first = false;
        appendChange(m, c);
        m += '}';
    }
    m += "]}";
    return m;
}

void Fanout::classify(Subscriber &subscriber)
{
    const SubscriberContext &context = subscriber.context;
    QStringList tables(context.readableTables.begin(), context.readableTables.end());
    tables.sort();
    subscriber.kind = context.role + QLatin1Char('\n') + context.schema + QLatin1Char('\n') + tables.join(QLatin1Char(','));
    // A selective stream's messages are its own: its whole tables and subsets.
    if (context.selective)
        subscriber.kind += QStringLiteral("\nselective ") + QString::number(quintptr(subscriber.socket), 16);
    subscriber.identity = subscriber.kind + QLatin1Char('\n') + QString::fromUtf8(context.claimsJson);
}

void Fanout::addSubscriber(QWebSocket *socket, const SubscriberContext &context)
{
    connect(socket, &QWebSocket::disconnected, this, [this, socket] { remove(socket); });
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, socket](const QString &message) { onClientMessage(socket, message); });
    if (context.expiresAt > 0) {
        // The token's validity ends the subscription, as it would end its requests.
        const qint64 ms = qMax<qint64>(0, context.expiresAt * 1000 - QDateTime::currentMSecsSinceEpoch());
        QTimer::singleShot(ms, socket, [socket] {
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("JWT expired"));
        });
    }
    if (context.resume && m_source->continues(context.sinceEpoch, context.since) && context.since > m_source->lastSeq()) {
        // The client has seen more than this server so far: it comes from an
        // instance a little ahead, or this one is re-reading its slot after
        // a restart. It resumes once the stream gets there.
        m_waiting.append(Waiting{socket, context});
        QTimer::singleShot(m_catchUpTimeoutMs, socket, [this, socket] {
            for (qsizetype i = 0; i < m_waiting.size(); ++i) {
                if (m_waiting.at(i).socket == socket) {
                    const Waiting w = m_waiting.takeAt(i);
                    greet(w.socket, w.context); // not resumed: re-snapshot
                    return;
                }
            }
        });
        Q_EMIT subscriberCountChanged(subscriberCount());
        return;
    }
    greet(socket, context);
}

void Fanout::wakeWaiting()
{
    for (qsizetype i = 0; i < m_waiting.size();) {
        if (m_waiting.at(i).context.since <= m_source->lastSeq()) {
            const Waiting w = m_waiting.takeAt(i);
            greet(w.socket, w.context);
        } else {
            ++i;
        }
    }
}

void Fanout::greet(QWebSocket *socket, const SubscriberContext &context)
{
    Subscriber subscriber{socket, context, QString(), QString()};
    classify(subscriber);
    m_subscribers.append(subscriber);
    // Resuming needs the same epoch and every transaction since the client's position.
    bool resumed = context.resume && m_source->continues(context.sinceEpoch, context.since) && context.since >= m_historyFloor
        && context.since <= m_source->lastSeq();
    // Kept transactions are unfiltered: where rows need a check, re-snapshot instead.
    for (const Transaction &t : std::as_const(m_history)) {
        if (resumed && t.seq > context.since && m_rowFilter && m_rowFilter->needsCheck(t, context))
            resumed = false;
    }
    QJsonObject hello;
    hello.insert(P::Field::Type, P::MessageType::Hello);
    hello.insert(P::Field::Seq, qint64(m_source->lastSeq()));
    hello.insert(P::Field::Epoch, m_source->epoch());
    hello.insert(P::Field::Resumed, resumed);
    hello.insert(P::Field::Role, context.role);
    hello.insert(P::Field::Schema, context.schema);
    hello.insert(P::Field::Source, m_source->name());
    socket->sendTextMessage(QString::fromUtf8(QJsonDocument(hello).toJson(QJsonDocument::Compact)));
    if (resumed) {
        for (const Transaction &t : std::as_const(m_history)) {
            if (t.seq <= context.since)
                continue;
            const QByteArray message = encode(t, context);
            if (!message.isEmpty())
                socket->sendTextMessage(QString::fromUtf8(message));
        }
    }
    qCDebug(lcFanout) << "subscriber" << socket->peerAddress() << socket->peerPort() << "role" << context.role
                      << (resumed ? "resumed" : "fresh");
    Q_EMIT subscriberCountChanged(subscriberCount());
}

QList<SubscriberContext> Fanout::subscriberRoles() const
{
    QList<SubscriberContext> out;
    QSet<QString> seen;
    for (const Subscriber &s : m_subscribers) {
        const QString key = roleKey(s.context.role, s.context.schema);
        if (!seen.contains(key)) {
            seen.insert(key);
            out.append(s.context);
        }
    }
    return out;
}

void Fanout::schemaReloaded(const QHash<QString, ReadableTables> &readable, const QSet<QString> &changedSchemas)
{
    static const QString schemaMessage = QString::fromUtf8(
        QJsonDocument(QJsonObject{{P::Field::Type, P::MessageType::Schema}}).toJson(QJsonDocument::Compact));
    QList<QWebSocket *> told;
    // Every member of an identity has the same role and schema, so members
    // of one old identity all move to the same new one.
    QHash<QString, QString> identityOf;
    for (Subscriber &s : m_subscribers) {
        bool changed = changedSchemas.contains(s.context.schema);
        const auto it = readable.constFind(roleKey(s.context.role, s.context.schema));
        if (it != readable.constEnd()) {
            changed = changed || it->privileges != s.context.privileges || it->tables != s.context.readableTables;
            const QString before = s.identity;
            s.context.readableTables = it->tables;
            s.context.privileges = it->privileges;
            classify(s);
            replanSubsets(s);
            identityOf.insert(before, s.identity);
        }
        if (changed)
            told.append(s.socket);
    }
    // Clients learn of the change before any event judged by the new rules.
    for (QWebSocket *socket : std::as_const(told))
        socket->sendTextMessage(schemaMessage);
    // Transactions waiting for a row check were queued under the old
    // identities and judged with the old readable tables: queue them under
    // the new ones (merged in commit order where identities now coincide)
    // and check them again, so a REVOKE holds back even those.
    ++m_generation;
    const QHash<QString, CheckQueue> old = std::exchange(m_checkQueues, {});
    for (auto q = old.constBegin(); q != old.constEnd(); ++q) {
        CheckQueue &target = m_checkQueues[identityOf.value(q.key(), q.key())];
        QMap<quint64, Transaction> merged;
        for (const Transaction &t : std::as_const(target.pending))
            merged.insert(t.seq, t);
        for (const Transaction &t : q->pending)
            merged.insert(t.seq, t);
        target.pending.clear();
        for (const Transaction &t : std::as_const(merged))
            target.pending.enqueue(t);
        target.checking = false;
    }
    const QStringList identities = m_checkQueues.keys();
    for (const QString &identity : identities)
        pump(identity);
    qCDebug(lcFanout) << "schema reloaded:" << told.size() << "of" << m_subscribers.size() << "subscribers told";
}

int Fanout::subscriberCount(const QByteArray &claimsJson) const
{
    int n = 0;
    for (const Subscriber &s : m_subscribers)
        n += s.context.claimsJson == claimsJson;
    for (const Waiting &w : m_waiting)
        n += w.context.claimsJson == claimsJson;
    return n;
}

int Fanout::closeSubscribers(const std::function<QString(const SubscriberContext &)> &reasonToClose)
{
    // Decided first, closed after: a close may remove a subscriber at once.
    QList<QPair<QPointer<QWebSocket>, QString>> closing;
    for (const Subscriber &s : std::as_const(m_subscribers)) {
        const QString reason = reasonToClose(s.context);
        if (!reason.isEmpty())
            closing.append({s.socket, reason});
    }
    for (const Waiting &w : std::as_const(m_waiting)) {
        const QString reason = reasonToClose(w.context);
        if (!reason.isEmpty())
            closing.append({w.socket, reason});
    }
    for (const auto &[socket, reason] : std::as_const(closing)) {
        if (socket)
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
    }
    return int(closing.size());
}

void Fanout::remove(QWebSocket *socket)
{
    for (qsizetype i = 0; i < m_waiting.size(); ++i) {
        if (m_waiting.at(i).socket == socket) {
            m_waiting.removeAt(i);
            socket->deleteLater();
            Q_EMIT subscriberCountChanged(subscriberCount());
            return;
        }
    }
    for (qsizetype i = 0; i < m_subscribers.size(); ++i) {
        if (m_subscribers.at(i).socket == socket) {
            m_subscribers.removeAt(i);
            socket->deleteLater();
            Q_EMIT subscriberCountChanged(subscriberCount());
            return;
        }
    }
}

void Fanout::setSubsets(SubsetPlanning planning, SubsetFilter *filter)
{
    m_subsetPlanning = std::move(planning);
    m_subsetFilter = filter;
}

void Fanout::sendSubsetReply(QWebSocket *socket, QLatin1String type, const QString &id, const QString &table,
                             const SubsetRefusal *refusal)
{
    QJsonObject reply{{P::Field::Type, type}, {P::Field::Id, id}};
    if (!table.isEmpty())
        reply.insert(P::Field::Table, table);
    if (type == P::MessageType::Subscribed)
        reply.insert(P::Field::Seq, qint64(m_source->lastSeq()));
    if (refusal) {
        reply.insert(P::Field::Code, refusal->code);
        reply.insert(P::Field::Message, refusal->message);
        reply.insert(P::Field::Details, refusal->details.isEmpty() ? QJsonValue() : QJsonValue(refusal->details));
        reply.insert(P::Field::Hint, refusal->hint.isEmpty() ? QJsonValue() : QJsonValue(refusal->hint));
    }
    socket->sendTextMessage(QString::fromUtf8(QJsonDocument(reply).toJson(QJsonDocument::Compact)));
}

void Fanout::onClientMessage(QWebSocket *socket, const QString &text)
{
    const ClientMessage message = ClientMessage::parse(text.toUtf8());
    const auto refuse = [&](const QString &code, const QString &text, const QString &details = QString()) {
        const SubsetRefusal refusal{code, text, details, QString()};
        sendSubsetReply(socket, P::MessageType::SubscriptionError, message.id, message.table, &refusal);
    };
    const auto found = std::find_if(m_subscribers.begin(), m_subscribers.end(),
                                    [socket](const Subscriber &s) { return s.socket == socket; });
    if (message.kind == ClientMessage::Kind::Invalid) {
        refuse(QStringLiteral("AIODATA010"), message.problem);
        return;
    }
    if (found == m_subscribers.end() || !m_subsetPlanning) {
        refuse(QStringLiteral("AIODATA010"), QStringLiteral("Subscriptions are taken after hello"));
        return;
    }
    Subscriber *subscriber = &*found;
    QList<Subset> &subsets = subscriber->context.subsets;
    if (message.kind == ClientMessage::Kind::Unsubscribe) {
        subsets.removeIf([&message](const Subset &s) { return s.id == message.id; });
        subscriber->context.indexSubsets();
        sendSubsetReply(socket, P::MessageType::Unsubscribed, message.id, QString());
        return;
    }
    if (std::any_of(subsets.cbegin(), subsets.cend(), [&message](const Subset &s) { return s.id == message.id; })) {
        refuse(QStringLiteral("AIODATA011"), QStringLiteral("A subscription with this id exists on this connection"));
        return;
    }
    if (subsets.size() >= m_maxSubscriptions) {
        refuse(QStringLiteral("AIODATA008"), QStringLiteral("Too many subscriptions on this connection"),
               QStringLiteral("limit %1 (AIODATA_MAX_SUBSCRIPTIONS)").arg(m_maxSubscriptions));
        return;
    }
    auto planned = m_subsetPlanning(subscriber->context, message.id, message.table, message.query);
    if (const auto *refusal = std::get_if<SubsetRefusal>(&planned)) {
        qCDebug(lcFanout).noquote() << "subscription" << message.id << "refused:" << refusal->message;
        sendSubsetReply(socket, P::MessageType::SubscriptionError, message.id, message.table, refusal);
        return;
    }
    // Transactions delivered from here on are judged with it: the client's
    // first fill, read after this reply, meets them by xid.
    subsets.append(std::get<Subset>(std::move(planned)));
    subscriber->context.indexSubsets();
    sendSubsetReply(socket, P::MessageType::Subscribed, message.id, subsets.last().table);
    qCDebug(lcFanout).noquote() << "subscription" << message.id << "of" << subsets.last().table;
}

void Fanout::replanSubsets(Subscriber &subscriber)
{
    if (!m_subsetPlanning)
        return;
    QList<Subset> kept;
    for (const Subset &old : std::as_const(subscriber.context.subsets)) {
        auto planned = m_subsetPlanning(subscriber.context, old.id, old.table, old.query);
        if (const auto *refusal = std::get_if<SubsetRefusal>(&planned)) {
            // The table or a filtered column is gone, or no longer readable.
            sendSubsetReply(subscriber.socket, P::MessageType::SubscriptionError, old.id, old.table, refusal);
            continue;
        }
        kept.append(std::get<Subset>(std::move(planned)));
    }
    subscriber.context.subsets = kept;
    subscriber.context.indexSubsets();
}

bool Fanout::send(const Subscriber &subscriber, const QString &message)
{
    if (subscriber.socket->bytesToWrite() > m_maxBufferedBytes)
        return false;
    subscriber.socket->sendTextMessage(message);
    subscriber.socket->flush(); // now, not on the next event-loop pass (see HttpConnection::writeResponse)
    return true;
}

void Fanout::evict()
{
    const qint64 oldest = m_maxHistoryAgeMs > 0 ? QDateTime::currentMSecsSinceEpoch() - m_maxHistoryAgeMs
                                                : std::numeric_limits<qint64>::min();
    const quint64 floor = m_historyFloor;
    while (!m_history.isEmpty()
           && ((m_historyBytes > m_maxHistoryBytes && m_history.size() > 1) || m_history.head().committedAtMs < oldest)) {
        const Transaction evicted = m_history.dequeue();
        m_historyBytes -= evicted.byteSize();
        m_historyFloor = evicted.seq;
    }
    if (m_historyFloor != floor)
        m_source->release(m_historyFloor);
}

void Fanout::onAdvanced(quint64 seq)
{
    // An idle stream's position reaches subscribers now and then, so that
    // where they resume from (and the floor of what must be kept for them)
    // moves on while only other tables are written.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastPositionMs >= m_positionIntervalMs) {
        m_lastPositionMs = now;
        Transaction marker;
        marker.seq = seq;
        marker.committedAtMs = now;
        onCommitted(marker);
    } else {
        wakeWaiting();
    }
}

void Fanout::onCommitted(const Transaction &transaction)
{
    m_history.enqueue(transaction);
    m_historyBytes += transaction.byteSize();
    evict();
    // Subscribers that may see rows of tables with row-level security wait
    // for PostgreSQL's verdict, once per identity; everyone else gets the
    // transaction now.
    // Per event and subscriber this loop is the fan-out's own cost (see
    // docs/performance.md): needsCheck() depends only on what makes a kind
    // (schema, readable tables), so it is asked once per kind, and the
    // common case (nobody waits) hands the list on without copying it.
    QSet<QString> queued;
    QList<bool> waits(m_subscribers.size(), false);
    PerKind<bool> checks;
    for (qsizetype i = 0; i < m_subscribers.size(); ++i) {
        const Subscriber &s = m_subscribers.at(i);
        if (!m_rowFilter && !m_subsetFilter)
            break;
        const bool needsCheck = checks.value(s.kind, [&] {
            return (m_rowFilter && m_rowFilter->needsCheck(transaction, s.context))
                || (m_subsetFilter && SubsetFilter::concerns(transaction, s.context));
        });
        bool waiting = false;
        if (!m_checkQueues.isEmpty()) {
            const auto q = m_checkQueues.constFind(s.identity);
            waiting = q != m_checkQueues.constEnd() && !q->pending.isEmpty();
        }
        if (waiting || needsCheck) {
            waits[i] = true;
            if (!queued.contains(s.identity)) {
                queued.insert(s.identity);
                m_checkQueues[s.identity].pending.enqueue(transaction);
            }
        }
    }
    if (queued.isEmpty()) {
        // A shallow copy: a subscriber removed while sending does not disturb the loop.
        deliver(transaction, QList<Subscriber>(m_subscribers));
    } else {
        QList<Subscriber> now;
        for (qsizetype i = 0; i < m_subscribers.size(); ++i) {
            if (!waits.at(i))
                now.append(m_subscribers.at(i));
        }
        deliver(transaction, now);
    }
    for (const QString &identity : std::as_const(queued))
        pump(identity);
    wakeWaiting();
}

QList<Fanout::Subscriber> Fanout::subscribersOf(const QString &identity) const
{
    QList<Subscriber> out;
    for (const Subscriber &s : m_subscribers) {
        if (s.identity == identity)
            out.append(s);
    }
    return out;
}

void Fanout::pump(const QString &identity)
{
    while (true) {
        auto q = m_checkQueues.find(identity);
        if (q == m_checkQueues.end() || q->checking)
            return;
        const QList<Subscriber> members = subscribersOf(identity);
        if (q->pending.isEmpty() || members.isEmpty()) {
            m_checkQueues.erase(q); // nobody left to wait for
            return;
        }
        const Transaction transaction = q->pending.head();
        const SubscriberContext &context = members.first().context;
        const bool rowCheck = m_rowFilter && m_rowFilter->needsCheck(transaction, context);
        if (!rowCheck && !(m_subsetFilter && SubsetFilter::concerns(transaction, context))) {
            q->pending.dequeue();
            deliver(transaction, members);
            continue;
        }
        q->checking = true;
        const quint64 generation = m_generation;
        auto finish = [this, identity, generation](const Transaction &filtered, bool send) {
            if (generation != m_generation)
                return;
            auto q = m_checkQueues.find(identity);
            if (q == m_checkQueues.end())
                return;
            q->checking = false;
            q->pending.dequeue();
            if (send)
                deliver(filtered, subscribersOf(identity));
            pump(identity);
        };
        // Row security first (what the role may see), then the subsets (which of that each holds).
        auto judgeSubsets = [this, identity, generation, finish](const Transaction &visible) {
            if (generation != m_generation)
                return;
            const QList<Subscriber> members = subscribersOf(identity);
            if (!m_subsetFilter || members.isEmpty() || !SubsetFilter::concerns(visible, members.first().context)) {
                finish(visible, true);
                return;
            }
            m_subsetFilter->filter(visible, members.first().context,
                                   [this, identity, finish](const Transaction &judged, const QString &error) {
                if (error.isEmpty()) {
                    // Subsets unsubscribed while PostgreSQL judged: nothing of them follows "unsubscribed".
                    Transaction out = judged;
                    const QList<Subscriber> members = subscribersOf(identity);
                    if (!members.isEmpty()) {
                        const QList<Subset> &now = members.first().context.subsets;
                        out.changes.removeIf([&now](const Change &c) {
                            return !c.subset.isEmpty() && c.subset != P::EverySubset
                                && std::none_of(now.cbegin(), now.cend(), [&c](const Subset &s) { return s.id == c.subset; });
                        });
                    }
                    finish(out, true);
                    return;
                }
                // A filter PostgreSQL no longer takes (the table changed
                // before the reload told us): the client reconnects and
                // subscribes again, and hears what is wrong then.
                qCWarning(lcFanout).noquote() << "a subset filter failed:" << error;
                for (const Subscriber &s : subscribersOf(identity))
                    s.socket->close(QWebSocketProtocol::CloseCodeBadOperation, QStringLiteral("a subscription's filter failed"));
                finish(judged, false);
            });
        };
        if (rowCheck)
            m_rowFilter->filter(transaction, context, judgeSubsets);
        else
            judgeSubsets(transaction);
        return;
    }
}

void Fanout::deliver(const Transaction &transaction, const QList<Subscriber> &subscribers)
{
    // One serialisation per kind of subscriber, not per subscriber.
    PerKind<QString> messages;
    QList<QWebSocket *> overflowing;
    for (const Subscriber &s : subscribers) {
        const QString &message = messages.value(s.kind, [&] { return QString::fromUtf8(encode(transaction, s.context)); });
        if (message.isEmpty())
            continue;
        if (!send(s, message))
            overflowing.append(s.socket);
    }
    for (QWebSocket *socket : overflowing) {
        qCWarning(lcFanout) << "dropping a subscriber that does not read:" << socket->peerAddress();
        socket->abort();
        remove(socket);
    }
}

} // namespace Aiodata::Server
