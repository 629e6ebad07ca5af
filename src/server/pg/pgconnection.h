#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include <deque>
#include <functional>
#include <optional>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace Aiodata::Server {

// One SQL statement with text parameters ($1, $2, ...); a null QByteArray
// binds SQL NULL. Parameter types are left to PostgreSQL to infer.
struct PgStatement
{
    QByteArray sql;
    QList<QByteArray> params;
    bool rowsWanted = true;   // false: its rows are not copied out (PgResult::rows stays empty)
};

struct PgError
{
    QByteArray sqlState;      // e.g. "23505"; "08006" when the connection broke
    QString message;
    QString detail;
    QString hint;
    bool isNull() const { return sqlState.isEmpty() && message.isEmpty(); }
};

// The result of one statement: text values, row-major.
struct PgResult
{
    bool ok = false;
    PgError error;            // when !ok (a statement skipped after an earlier error has sqlState empty)
    int columns = 0;
    qint64 affected = 0;      // the command tag's row count (INSERT/UPDATE/DELETE/SELECT)
    QList<QList<QByteArray>> rows;
    QByteArray value(int row, int column) const { return rows.value(row).value(column); }
};

// A job: statements sent in one round trip (libpq pipeline mode) and run as
// one implicit transaction that ends at the job's own sync point, so an
// error in any statement rolls back all of them and none of another job's.
struct PgJob
{
    QList<PgStatement> statements;
    std::function<void(const QList<PgResult> &results, const PgError &firstError)> done;
    // What PgPool averages this job's time by (jobs of one shape take about
    // as long); empty: its last statement's SQL, the one that does the work.
    QByteArray shape;
    bool retried = false; // run again once after stale prepared statements
    qint64 expectedUs = -1; // how long jobs like this usually take (PgPool); -1: not known
};

// One asynchronous libpq connection driven by the Qt event loop: the socket
// is watched with QSocketNotifier, nothing ever blocks.
class PgConnection : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Idle, Busy, Broken };
    // Pipeline: jobs via run(). Replication: a walsender connection
    // (replication=database) whose protocol the owner drives through
    // handle(), readyRead() and setWriteWanted(). Plain: an ordinary
    // connection driven by its owner the same way (LISTEN/NOTIFY).
    enum class Mode { Pipeline, Replication, Plain };

    explicit PgConnection(QObject *parent = nullptr);
    ~PgConnection() override;

    // applicationName, when set, overrides the conninfo's application_name
    // (so operators can tell this connection apart in pg_stat_activity).
    void open(const QByteArray &conninfo, Mode mode = Mode::Pipeline, const QByteArray &applicationName = {});
    // conninfo (URI or key=value) as key=value with options appended to
    // its libpq options setting (e.g. "-c TimeZone=UTC"); nullopt if it
    // does not parse.
    static std::optional<QByteArray> withOptions(const QByteArray &conninfo, const QByteArray &options);
    PGconn *handle() const { return m_conn; }
    // Replication and plain mode: ask for readyWrite() until libpq's output is flushed.
    void setWriteWanted(bool wanted);
    // Replication and plain mode: the owner saw the connection break.
    void markBroken(const QString &error) { fail(error); }
    State state() const { return m_state; }
    QString errorString() const { return m_errorString; }
    // When Idle, or Busy to queue the job behind the ones in flight: it is
    // sent at once and runs when they are done, each in its own transaction.
    void run(PgJob job);
    int jobsInFlight() const { return int(m_inFlight.size()); }
    // How long a job sent now would wait for the ones in flight, in
    // microseconds, from their expectedUs (the oldest: at least as long as
    // it has run so far). Unbounded if one of them has no estimate.
    qint64 expectedWaitUs() const;
    // Named prepared statements, one per distinct SQL text, kept for the
    // connection's life (PostgREST's db-prepared-statements). Off for
    // poolers in transaction mode, which cannot keep them.
    void setPreparedStatements(bool on) { m_prepare = on; }
    int preparedCount() const { return int(m_prepared.size() + m_parsing.size()); }
    static constexpr int maxPreparedStatements = 512;

Q_SIGNALS:
    void opened();
    void failed(const QString &error);  // connecting failed or the connection broke
    // A job is done (after its callback): how long it took, from when it
    // was sent or the one before it finished, whichever is later.
    void jobFinished(const Aiodata::Server::PgJob &job, qint64 tookUs);
    void readyRead();                   // replication and plain mode: the socket has data
    void readyWrite();                  // replication and plain mode: the socket takes data

private:
    void pollConnect();
    void onReadable();
    void onWritable();
    void flush();
    void updateNotifiers();
    void fail(const QString &error);
    void finishJob();

    PGconn *m_conn = nullptr;
    State m_state = State::Disconnected;
    Mode m_mode = Mode::Pipeline;
    QString m_errorString;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    int m_socket = -1;
    bool m_connectWantsWrite = false;

    // One expected result of the pipeline: a statement's execution, the
    // Parse of a statement being prepared, or the DEALLOCATE that empties
    // a full cache.
    struct ResultSlot
    {
        int statement = -1;      // index into results; -1 for DEALLOCATE
        QByteArray preparedName; // set for a Parse: its name, cached once it succeeded
    };
    // A job sent and not yet past its sync point.
    struct InFlight
    {
        PgJob job;
        QList<ResultSlot> resultSlots;
        QList<PgResult> results;
        PgError firstError;
        int resultIndex = 0;
        qint64 sentAtUs = 0;
    };

    void takeResult(InFlight &flight, PGresult *res);

    std::deque<InFlight> m_inFlight;
    bool m_lastWasNull = false;
    qint64 m_lastFinishUs = 0;
    qint64 m_expectedSumUs = 0; // of the jobs in flight with an estimate
    int m_unestimated = 0;      // jobs in flight without one

    bool m_prepare = true;
    // SQL text -> statement name: Parses confirmed, and Parses sent with a
    // job still in flight (later jobs use the name without parsing again).
    QHash<QByteArray, QByteArray> m_prepared;
    QHash<QByteArray, QByteArray> m_parsing;
    bool m_emptyCache = false; // DEALLOCATE ALL before the next job
    quint64 m_nextPreparedName = 0;
};

} // namespace Aiodata::Server
