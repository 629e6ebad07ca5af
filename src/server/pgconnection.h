#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

typedef struct pg_conn PGconn;

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
// one implicit transaction that ends at the pipeline's sync point, so an
// error in any statement rolls back all of them.
struct PgJob
{
    QList<PgStatement> statements;
    std::function<void(const QList<PgResult> &results, const PgError &firstError)> done;
    bool retried = false; // run again once after stale prepared statements
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
    // Only when state() == Idle.
    void run(PgJob job);
    // Named prepared statements, one per distinct SQL text, kept for the
    // connection's life (PostgREST's db-prepared-statements). Off for
    // poolers in transaction mode, which cannot keep them.
    void setPreparedStatements(bool on) { m_prepare = on; }
    int preparedCount() const { return int(m_prepared.size()); }
    static constexpr int maxPreparedStatements = 512;

Q_SIGNALS:
    void opened();
    void failed(const QString &error);  // connecting failed or the connection broke
    void jobFinished();                 // back to Idle
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
        int statement = -1;      // index into m_results; -1 for DEALLOCATE
        QByteArray preparedName; // set for a Parse: its name, cached once it succeeded
    };

    PgJob m_job;
    QList<ResultSlot> m_slots;
    QList<PgResult> m_results;
    PgError m_firstError;
    int m_resultIndex = 0;
    bool m_lastWasNull = false;

    bool m_prepare = true;
    QHash<QByteArray, QByteArray> m_prepared; // SQL text -> statement name
    quint64 m_nextPreparedName = 0;
};

} // namespace Aiodata::Server
