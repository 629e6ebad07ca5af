#pragma once

#include "capture/changesource.h"
#include "fanout/subscribercontext.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QQueue>
#include <QSet>
#include <QString>
#include <QTimer>

#include <functional>

QT_BEGIN_NAMESPACE
class QWebSocket;
QT_END_NAMESPACE

namespace Aiodata::Server {

// Sends every committed transaction to the subscribers allowed to read its
// tables. A transaction is filtered and serialised once per kind of
// subscriber (role, schema, readable tables), and the same message goes to
// all of them. A subscriber that does not read (send buffer past the limit)
// is dropped and resumes or resyncs when it reconnects, so it never delays
// the others. The newest transactions are kept (bounded) for resuming.
class RowFilter;
class SubsetFilter;

class Fanout : public QObject
{
    Q_OBJECT
public:
    // Tables with row-level security get their rows checked per subscriber
    // by rowFilter.
    Fanout(ChangeSource *source, RowFilter *rowFilter, QObject *parent = nullptr);
    ~Fanout() override;

    void addSubscriber(QWebSocket *socket, const SubscriberContext &context);
    int subscriberCount() const { return int(m_subscribers.size() + m_waiting.size()); }
    // Subscribers holding exactly these token claims.
    int subscriberCount(const QByteArray &claimsJson) const;
    // Closes, with 1008 (policy violation) and the reason as close reason,
    // every subscriber for which reasonToClose returns a non-empty reason
    // (e.g. its token no longer verifies after a key rotation). Returns how
    // many were closed.
    int closeSubscribers(const std::function<QString(const SubscriberContext &)> &reasonToClose);
    void setMaxBufferedBytes(qint64 bytes) { m_maxBufferedBytes = bytes; }
    // The retention window for resuming: the newest transactions up to this
    // size and age (the source may let older ones go, see ChangeSource::release).
    void setMaxHistoryBytes(qint64 bytes) { m_maxHistoryBytes = bytes; }
    void setMaxHistoryAge(qint64 ms);
    // How often an idle stream tells subscribers its position ({"type":"position"}).
    void setPositionInterval(qint64 ms) { m_positionIntervalMs = ms; }
    // How long a subscriber that resumes from a position this server has not
    // reached yet (it came from a faster instance, or this one is re-reading
    // its slot after a restart) waits before it is told to re-snapshot.
    void setCatchUpTimeout(int ms) { m_catchUpTimeoutMs = ms; }
    // Live subsets (docs/protocol.md, "Subsets"): planning is the REST
    // layer's (its parser and WHERE), judging the filter's.
    void setSubsets(SubsetPlanning planning, SubsetFilter *filter);
    void setMaxSubscriptions(int perSubscriber) { m_maxSubscriptions = perSubscriber; }

    // One context per role and schema among the subscribers: whom to ask
    // what they may read after a schema reload.
    QList<SubscriberContext> subscriberRoles() const;
    // A schema reload took effect: every subscriber whose roleKey() is in
    // readable reads that from now on (at once: also transactions still
    // waiting for a row check); those not in it (subscribed meanwhile)
    // keep theirs. Subscribers of a schema in changedSchemas, or whose
    // privileges changed, get {"type":"schema"}.
    void schemaReloaded(const QHash<QString, ReadableTables> &readable, const QSet<QString> &changedSchemas);

    // The wire form of the part of a transaction a subscriber may see
    // (see docs/protocol.md); empty when it may see none of it.
    static QByteArray encode(const Transaction &transaction, const SubscriberContext &context);

Q_SIGNALS:
    void subscriberCountChanged(int count);

private:
    struct Subscriber
    {
        QWebSocket *socket;
        SubscriberContext context;
        QString kind;              // role, schema and readable tables: same kind, same messages
        QString identity;          // kind plus token claims: same rows under row-level security
    };
    // Transactions waiting for row checks, per identity: one slow or failing
    // check delays only the subscribers of that identity, in commit order.
    struct CheckQueue
    {
        QQueue<Transaction> pending;
        bool checking = false;
    };
    static void classify(Subscriber &subscriber);
    void greet(QWebSocket *socket, const SubscriberContext &context);
    void onCommitted(const Transaction &transaction);
    void onAdvanced(quint64 seq);
    void wakeWaiting();
    void evict();
    void pump(const QString &identity);
    QList<Subscriber> subscribersOf(const QString &identity) const;
    void deliver(const Transaction &transaction, const QList<Subscriber> &subscribers);
    void remove(QWebSocket *socket);
    void onClientMessage(QWebSocket *socket, const QString &message);
    void sendSubsetReply(QWebSocket *socket, QLatin1String type, const QString &id, const QString &table,
                         const SubsetRefusal *refusal = nullptr);
    // A schema reload: each subset planned again; those that no longer fit end with their error.
    void replanSubsets(Subscriber &subscriber);
    bool send(const Subscriber &subscriber, const QString &message);

    ChangeSource *m_source;
    QList<Subscriber> m_subscribers;
    qint64 m_maxBufferedBytes = 64 * 1024 * 1024;
    QQueue<Transaction> m_history;
    qint64 m_historyBytes = 0;
    qint64 m_maxHistoryBytes = 64 * 1024 * 1024;
    qint64 m_maxHistoryAgeMs = 0;  // 0: no age limit
    quint64 m_historyFloor = 0;    // transactions after this position are all in m_history
    qint64 m_positionIntervalMs = 10000;
    qint64 m_lastPositionMs = 0;
    int m_catchUpTimeoutMs = 10000;
    // Subscribers resuming from a position ahead of the source: hello waits.
    struct Waiting
    {
        QWebSocket *socket;
        SubscriberContext context;
    };
    QList<Waiting> m_waiting;
    QTimer *m_evictTimer = nullptr;
    RowFilter *m_rowFilter;
    SubsetPlanning m_subsetPlanning;
    SubsetFilter *m_subsetFilter = nullptr;
    int m_maxSubscriptions = 100;
    QHash<QString, CheckQueue> m_checkQueues;
    quint64 m_generation = 0;
};

} // namespace Aiodata::Server
