#pragma once

// Shared pieces of the benchmark suite: blocking libpq for set-up and
// baselines, the real server binary, a minimal keep-alive HTTP client, the
// event-loop wait, statistics and the result table.

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QProcess>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QTcpSocket>
#include <QUrl>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

typedef struct pg_conn PGconn;

namespace Bench {

// Where everything is, from the command line and the environment bench/run sets.
struct Options
{
    bool smoke = false;
    bool scaling = false;          // also run the growth series (sizes, client counts)
    int runs = 3;                  // medians over this many runs
    QStringList only;              // benchmark names to run; empty: all
    QString workDir;               // build/bench/<...>: configs, logs, temporary files
    QString jsonPath;              // results
    QString adminUri;              // the bench cluster, as postgres
    QString serverBin;             // build/bin/aiodata
    QString pgBin;                 // PostgreSQL's bin folder (pgbench, psql)
    QString selfBin;               // this executable, for worker processes
    bool setNoGlib = false;        // we chose QT_NO_GLIB for ourselves, not for the server

    bool wants(const QString &name) const { return only.isEmpty() || only.contains(name); }
};

const Options &options();
void setOptions(const Options &o);

// ---- timing, statistics -----------------------------------------------------

qint64 nowNs();                    // monotonic
double percentile(QList<double> values, double p); // nearest rank, p in [0, 100]
double median(QList<double> values);
qint64 rssBytes();                 // this process's resident set (VmRSS)
double cpuSeconds();               // user + system time of this process so far
void trimHeap();                   // hands freed heap back to the kernel (glibc), for RSS figures

// Runs the event loop until done() or timeoutMs; false on timeout.
bool spinUntil(const std::function<bool()> &done, int timeoutMs);
void spinFor(int ms);

// ---- PostgreSQL ---------------------------------------------------------------

// A blocking libpq connection (set-up and baselines only).
class Pg
{
public:
    explicit Pg(const QString &uri);
    ~Pg();
    Pg(const Pg &) = delete;
    Pg &operator=(const Pg &) = delete;

    bool isOk() const;
    QString error() const { return m_error; }
    bool exec(const QByteArray &sql);            // any number of statements
    QByteArray value(const QByteArray &sql);     // first column of the first row
    PGconn *handle() const { return m_conn; }

private:
    PGconn *m_conn = nullptr;
    QString m_error;
};

QString databaseUri(const QString &adminUri, const QString &user, const QString &database);

// A fresh database `name` with schema api, one table api.t (5 columns:
// id, name, value, flag, created) holding `rows` rows, the pets.sql roles,
// publication aiodata, and synchronous_commit=on (see docs/performance.md).
bool createDatabase(const QString &name, qint64 rows, QString *error);

// The schema of api.t as GET / describes it (JSON), for models made without a Client.
QByteArray tableSchemaJson();

// ---- the server -----------------------------------------------------------------

inline constexpr const char *JwtSecret = "aiodata-bench-secret-aiodata-bench-secret";
QByteArray token(const QByteArray &role);        // HS256 {"role": role}

// The aiodata binary on a free loopback port. Dies with this process
// (PR_SET_PDEATHSIG) and records its pid for bench/run's clean-up.
class Server
{
public:
    Server() = default;
    ~Server();
    bool start(const QString &database, const QString &events, QString *error, int pool = 8);
    void stop();
    void kill();                   // SIGKILL, as a crash would
    quint16 port() const { return m_port; }
    QUrl url() const;
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    double cpuSeconds() const;     // user + system time the server used so far
    QStringList environment;       // extra NAME=value for the next start
    QStringList wrapper;           // program and arguments to run the server under (valgrind), for the next start

private:
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

// Runs a program to its end with stdin from a file (optional); returns the
// exit code (-1 when it did not run), stdout in *out, wall time in *ms.
int runProgram(const QString &program, const QStringList &args, QByteArray *out, double *ms,
               const QString &stdinFile = QString(), int timeoutMs = 600000);
// This binary as a worker process ("--worker" mode args...): the JSON object
// of its last output line; empty with *error set if it failed or said "error".
QJsonObject runWorker(const QString &mode, const QStringList &args, QString *error, int timeoutMs = 600000);

// ---- HTTP client -------------------------------------------------------------------

// One keep-alive HTTP/1.1 connection to the server, one request at a time,
// Content-Length bodies only: the least a client can do, so that the figures
// are the server's.
class HttpClient : public QObject
{
    Q_OBJECT
public:
    struct Response
    {
        int status = 0;            // 0: the connection failed
        QByteArray body;
    };
    using Callback = std::function<void(const Response &)>;

    explicit HttpClient(quint16 port, QObject *parent = nullptr);
    void send(const QByteArray &method, const QByteArray &path, const QByteArray &body,
              const QByteArray &headers, Callback done);
    bool isBusy() const { return bool(m_done); }

    // Blocking convenience: runs the event loop until the answer.
    Response request(const QByteArray &method, const QByteArray &path, const QByteArray &body = QByteArray(),
                     const QByteArray &headers = QByteArray(), int timeoutMs = 60000);

private:
    void onReadyRead();
    void finish(int status);

    quint16 m_port;
    QTcpSocket m_socket;
    Callback m_done;
    QByteArray m_buffer;
    qsizetype m_headerEnd = -1;
    qint64 m_contentLength = -1;
    int m_status = 0;
};

// Single-row POSTs to /query/t as the auth role (Prefer: return=minimal) on
// `connections` keep-alive connections, each sending its next request as
// soon as the previous one is answered, from construction until stop().
class PostLoad
{
public:
    // keyed: each POST with its own Idempotency-Key, as the client library sends them.
    PostLoad(quint16 port, int connections, bool keyed = false);
    ~PostLoad() { stop(); }
    Q_DISABLE_COPY_MOVE(PostLoad) // the requests in flight hold `this`
    qint64 created() const { return m_created; }   // answered 201
    qint64 failed() const { return m_failed; }     // answered otherwise
    int lastFailedStatus() const { return m_lastStatus; }
    void stop();                                   // no new requests; waits for those in flight

private:
    void next(HttpClient *client);

    QByteArray m_headers;
    bool m_keyed;
    QByteArray m_keyPrefix;
    qint64 m_nextKey = 0;
    std::vector<std::unique_ptr<HttpClient>> m_clients;
    qint64 m_created = 0;
    qint64 m_failed = 0;
    int m_lastStatus = 0;
    int m_inFlight = 0;
    bool m_running = true;
};

// ---- results --------------------------------------------------------------------------

// One row of the table: ours and baseline per run; the figures are medians.
struct Figure
{
    enum class Target { None, RatioAtMost, RatioAtLeast, OursAtMost, OursAtLeast };

    QString name;
    QString unit;
    Target target = Target::None;
    double limit = 0;
    QString note;                  // how it was measured, briefly
    QList<double> ours;
    QList<double> baseline;        // empty: no baseline

    double oursMedian() const { return median(ours); }
    double baselineMedian() const { return baseline.isEmpty() ? qQNaN() : median(baseline); }
    double ratio() const;
    QString targetText() const;
    bool isMet() const;
};

class Results
{
public:
    // Returns the figure of that name, created with these properties the first time.
    Figure &figure(const QString &name, const QString &unit, Figure::Target target = Figure::Target::None,
                   double limit = 0, const QString &note = QString());
    void print() const;
    bool writeJson(const QString &path) const;
    int errors() const { return int(m_errors.size()); }
    void error(const QString &message);

private:
    std::deque<Figure> m_figures;  // references stay valid as figures are added
    QStringList m_errors;
};

Results &results();

} // namespace Bench
