#include "benchsupport.h"

#include <QDateTime>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QTextStream>
#include <QThread>
#include <QTimer>

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#ifdef Q_OS_LINUX
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace Bench {

static Options g_options;

const Options &options() { return g_options; }
void setOptions(const Options &o) { g_options = o; }

// ---- timing, statistics -----------------------------------------------------

qint64 nowNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double percentile(QList<double> values, double p)
{
    if (values.isEmpty())
        return qQNaN();
    std::sort(values.begin(), values.end());
    const qsizetype rank = qBound<qsizetype>(1, qsizetype(std::ceil(p / 100.0 * double(values.size()))), values.size());
    return values.at(rank - 1);
}

double median(QList<double> values)
{
    if (values.isEmpty())
        return qQNaN();
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    return n % 2 ? values.at(n / 2) : (values.at(n / 2 - 1) + values.at(n / 2)) / 2;
}

qint64 rssBytes()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return 0;
}

double cpuSeconds()
{
    rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void trimHeap()
{
#ifdef Q_OS_LINUX
    malloc_trim(0);
#endif
}

bool spinUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    // Wakes the loop now and then, so the deadline holds when nothing happens.
    QTimer wake;
    wake.start(qMin(timeoutMs, 50));
    while (!done()) {
        if (timer.elapsed() >= timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

void spinFor(int ms)
{
    QElapsedTimer timer;
    timer.start();
    spinUntil([&] { return timer.elapsed() >= ms; }, ms);
}

// ---- PostgreSQL ---------------------------------------------------------------

static void ignoreNotice(void *, const char *)
{
    // "database ... does not exist, skipping" and the like: not worth a line.
}

Pg::Pg(const QString &uri)
{
    m_conn = PQconnectdb(uri.toUtf8().constData());
    if (PQstatus(m_conn) != CONNECTION_OK)
        m_error = QString::fromUtf8(PQerrorMessage(m_conn)).trimmed();
    else
        PQsetNoticeProcessor(m_conn, ignoreNotice, nullptr);
}

Pg::~Pg()
{
    PQfinish(m_conn);
}

bool Pg::isOk() const
{
    return PQstatus(m_conn) == CONNECTION_OK;
}

bool Pg::exec(const QByteArray &sql)
{
    PGresult *res = PQexec(m_conn, sql.constData());
    const ExecStatusType status = PQresultStatus(res);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        m_error = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
    PQclear(res);
    return ok;
}

QByteArray Pg::value(const QByteArray &sql)
{
    PGresult *res = PQexec(m_conn, sql.constData());
    QByteArray v;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
        v = QByteArray(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0));
    else
        m_error = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
    PQclear(res);
    return v;
}

QString databaseUri(const QString &adminUri, const QString &user, const QString &database)
{
    QUrl u(adminUri);
    u.setUserName(user);
    u.setPath(QLatin1Char('/') + database);
    return u.toString();
}

bool createDatabase(const QString &name, qint64 rows, QString *error)
{
    const QByteArray quoted = '"' + name.toUtf8() + '"';
    {
        Pg admin(options().adminUri);
        // WITH (FORCE) ends sessions, not walsenders: a server stopped just
        // before still holds its temporary slot until its walsender has
        // exited, and DROP DATABASE refuses while it does.
        const QByteArray literal = '\'' + name.toUtf8() + '\'';
        const auto slotsGone = [&] {
            admin.exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                       " WHERE database = " + literal + " AND active_pid IS NOT NULL");
            admin.exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                       " WHERE database = " + literal + " AND NOT active AND NOT temporary");
            return admin.value("SELECT count(*) FROM pg_replication_slots WHERE database = " + literal) == "0";
        };
        if (admin.isOk() && !spinUntil(slotsGone, 10000)) {
            *error = QStringLiteral("replication slots of %1 still in use after 10 s").arg(name);
            return false;
        }
        if (!admin.isOk() || !admin.exec("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)")
            || !admin.exec("CREATE DATABASE " + quoted)
            // Logical decoding only sends flushed WAL: with the fast cluster's
            // synchronous_commit=off an event would wait for the WAL writer
            // (up to wal_writer_delay, 200 ms). fsync stays off.
            // AIODATA_BENCH_SYNC_COMMIT=off shows the difference.
            || !admin.exec("ALTER DATABASE " + quoted + " SET synchronous_commit = "
                           + (qEnvironmentVariable("AIODATA_BENCH_SYNC_COMMIT") == QLatin1String("off") ? "off" : "on"))) {
            *error = admin.error();
            return false;
        }
    }
    Pg db(databaseUri(options().adminUri, QStringLiteral("postgres"), name));
    // The pets.sql roles (cluster-wide, so tolerant of existing ones).
    const QByteArray schema = QByteArrayLiteral(R"sql(
DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE auth NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticator LOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT anon TO authenticator;
GRANT auth TO authenticator;
ALTER ROLE authenticator REPLICATION;
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO anon, auth;
CREATE TABLE api.t (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  value double precision,
  flag boolean NOT NULL DEFAULT false,
  created timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON api.t TO anon;
GRANT ALL ON api.t TO auth;
CREATE PUBLICATION aiodata FOR TABLES IN SCHEMA api;
)sql");
    // The server may create its own schema (aiodata.idempotency_keys), as
    // an operator would let it: keyed writes then record their keys.
    if (!db.isOk() || !db.exec(schema) || !db.exec("GRANT CREATE ON DATABASE " + quoted + " TO authenticator")) {
        *error = db.error();
        return false;
    }
    if (rows > 0) {
        const QByteArray fill = "INSERT INTO api.t (name, value, flag, created) "
                                "SELECT 'row ' || g, g * 0.5, g % 2 = 0, "
                                "timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second' "
                                "FROM generate_series(1, " + QByteArray::number(rows) + ") AS g; "
                                "SELECT setval(pg_get_serial_sequence('api.t', 'id'), " + QByteArray::number(rows) + ")";
        if (!db.exec(fill) || !db.exec("VACUUM ANALYZE api.t")) {
            *error = db.error();
            return false;
        }
    }
    return true;
}

QByteArray tableSchemaJson()
{
    return R"({"name":"t","primaryKey":["id"],
        "privileges":{"select":true,"insert":true,"update":true,"delete":true},
        "columns":[{"name":"id","type":"bigint","primaryKey":1,"nullable":false,"hasDefault":true},
                   {"name":"name","type":"text","primaryKey":null,"nullable":false},
                   {"name":"value","type":"double precision","primaryKey":null},
                   {"name":"flag","type":"boolean","primaryKey":null,"nullable":false,"hasDefault":true},
                   {"name":"created","type":"timestamp with time zone","primaryKey":null,"nullable":false,"hasDefault":true}]})";
}

// ---- the server -----------------------------------------------------------------

static QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray token(const QByteArray &role)
{
    const QByteArray head = base64Url(R"({"alg":"HS256","typ":"JWT"})") + '.' + base64Url("{\"role\":\"" + role + "\"}");
    return head + '.' + base64Url(QMessageAuthenticationCode::hash(head, QByteArray(JwtSecret), QCryptographicHash::Sha256));
}

Server::~Server()
{
    stop();
}

QUrl Server::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

bool Server::start(const QString &database, const QString &events, QString *error, int pool)
{
    stop();
    static int serial = 0;
    ++serial;
    const QDir dir(options().workDir);
    const QString conf = dir.filePath(QStringLiteral("server-%1.conf").arg(serial));
    const QString log = dir.filePath(QStringLiteral("server-%1.log").arg(serial));
    QFile file(conf);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = file.errorString();
        return false;
    }
    file.write("db-uri = \"" + databaseUri(options().adminUri, QStringLiteral("authenticator"), database).toUtf8() + "\"\n"
               "db-schemas = \"api\"\n"
               "db-anon-role = \"anon\"\n"
               "jwt-secret = \"" + QByteArray(JwtSecret) + "\"\n"
               "db-pool = " + QByteArray::number(pool) + "\n");
    file.close();
    QFile::remove(log);

    m_process = std::make_unique<QProcess>();
    // The server runs as users run it: not with the bench's event dispatcher choice.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    if (options().setNoGlib)
        environment.remove(QStringLiteral("QT_NO_GLIB"));
    // Experiments: AIODATA_BENCH_SERVER_ENV="NAME=value NAME2=value" for the server only.
    const QStringList extra = qEnvironmentVariable("AIODATA_BENCH_SERVER_ENV").split(QLatin1Char(' '), Qt::SkipEmptyParts)
        + this->environment;
    for (const QString &assignment : extra)
        environment.insert(assignment.section(QLatin1Char('='), 0, 0), assignment.section(QLatin1Char('='), 1));
    m_process->setProcessEnvironment(environment);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setStandardOutputFile(log);
#ifdef Q_OS_LINUX
    // A crashed or killed benchmark must not leave servers behind.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    const QStringList arguments{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--events"), events, conf};
    if (wrapper.isEmpty())
        m_process->start(options().serverBin, arguments);
    else
        m_process->start(wrapper.first(), wrapper.mid(1) + QStringList{options().serverBin} + arguments);
    if (!m_process->waitForStarted(10000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(options().serverBin, m_process->errorString());
        m_process.reset();
        return false;
    }
    QFile pids(dir.filePath(QStringLiteral("servers.pids")));
    if (pids.open(QIODevice::Append))
        pids.write(QByteArray::number(m_process->processId()) + '\n');

    // "aiodata: serving api on http://127.0.0.1:<port> (events: ...)"
    static const QRegularExpression serving(QStringLiteral("on http://127\\.0\\.0\\.1:(\\d+)"));
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 30000) {
        QFile out(log);
        if (out.open(QIODevice::ReadOnly)) {
            const QString text = QString::fromUtf8(out.readAll());
            const QRegularExpressionMatch match = serving.match(text);
            if (match.hasMatch()) {
                m_port = match.captured(1).toUShort();
                return true;
            }
            if (m_process->state() == QProcess::NotRunning) {
                *error = QStringLiteral("server exited: ") + text.trimmed();
                m_process.reset();
                return false;
            }
        }
        QThread::msleep(20);
    }
    *error = QStringLiteral("server did not start within 30 s (see %1)").arg(log);
    stop();
    return false;
}

double Server::cpuSeconds() const
{
    // Nanoseconds on CPU per thread (schedstat's first field); /proc/<pid>/stat
    // only counts 10 ms clock ticks.
    if (!pid())
        return 0;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid()));
    double seconds = 0;
    for (const QString &task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile schedstat(tasks.filePath(task + QStringLiteral("/schedstat")));
        if (schedstat.open(QIODevice::ReadOnly))
            seconds += double(schedstat.readAll().split(' ').value(0).toLongLong()) / 1e9;
    }
    return seconds;
}

void Server::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
    m_port = 0;
}

void Server::kill()
{
    if (!m_process)
        return;
    m_process->kill();
    m_process->waitForFinished(5000);
    m_process.reset();
    m_port = 0;
}

int runProgram(const QString &program, const QStringList &args, QByteArray *out, double *ms,
               const QString &stdinFile, int timeoutMs)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::SeparateChannels);
    if (!stdinFile.isEmpty())
        process.setStandardInputFile(stdinFile);
#ifdef Q_OS_LINUX
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    const qint64 start = nowNs();
    process.start(program, args);
    if (!process.waitForStarted(10000))
        return -1;
    QByteArray output;
    // Drain as it comes: a large output would otherwise fill the pipe.
    while (process.state() != QProcess::NotRunning) {
        process.waitForReadyRead(timeoutMs);
        output += process.readAllStandardOutput();
        if (double(nowNs() - start) / 1e6 > timeoutMs) {
            process.kill();
            process.waitForFinished(5000);
            return -1;
        }
    }
    output += process.readAllStandardOutput();
    if (ms)
        *ms = double(nowNs() - start) / 1e6;
    if (out)
        *out = output;
    const QByteArray err = process.readAllStandardError();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        std::fprintf(stderr, "bench: %s failed: %s\n", qPrintable(program), err.constData());
        return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    }
    return 0;
}

// ---- HTTP client -------------------------------------------------------------------

HttpClient::HttpClient(quint16 port, QObject *parent)
    : QObject(parent)
    , m_port(port)
{
    connect(&m_socket, &QTcpSocket::readyRead, this, &HttpClient::onReadyRead);
    // As the server does: no Nagle delay on small requests.
    connect(&m_socket, &QTcpSocket::connected, this, [this] { m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1); });
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        if (m_done)
            finish(0);
    });
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this] {
        if (m_done && m_socket.state() == QAbstractSocket::UnconnectedState)
            finish(0);
    });
}

void HttpClient::send(const QByteArray &method, const QByteArray &path, const QByteArray &body,
                      const QByteArray &headers, Callback done)
{
    Q_ASSERT(!m_done);
    m_done = std::move(done);
    m_buffer.clear();
    m_headerEnd = -1;
    m_contentLength = -1;
    m_status = 0;
    if (m_socket.state() == QAbstractSocket::UnconnectedState)
        m_socket.connectToHost(QHostAddress::LocalHost, m_port);
    QByteArray request;
    request.reserve(256 + body.size());
    request += method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!body.isEmpty() || method == "POST" || method == "PATCH")
        request += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    request += headers;
    request += "\r\n";
    request += body;
    // Buffered by QTcpSocket while it connects.
    m_socket.write(request);
}

HttpClient::Response HttpClient::request(const QByteArray &method, const QByteArray &path, const QByteArray &body,
                                         const QByteArray &headers, int timeoutMs)
{
    Response response;
    bool done = false;
    send(method, path, body, headers, [&](const Response &r) {
        response = r;
        done = true;
    });
    if (!spinUntil([&] { return done; }, timeoutMs)) {
        m_done = nullptr;
        m_socket.abort();
    }
    return response;
}

void HttpClient::onReadyRead()
{
    m_buffer += m_socket.readAll();
    if (!m_done)
        return;
    if (m_headerEnd < 0) {
        m_headerEnd = m_buffer.indexOf("\r\n\r\n");
        if (m_headerEnd < 0)
            return;
        const QByteArray head = m_buffer.left(m_headerEnd);
        const QList<QByteArray> lines = head.split('\n');
        m_status = lines.value(0).split(' ').value(1).toInt();
        m_contentLength = 0;
        for (const QByteArray &line : lines) {
            if (line.size() > 15 && qstrnicmp(line.constData(), "content-length:", 15) == 0)
                m_contentLength = line.mid(15).trimmed().toLongLong();
        }
        if (m_contentLength > 0)
            m_buffer.reserve(m_headerEnd + 4 + m_contentLength);
    }
    if (m_buffer.size() - (m_headerEnd + 4) >= m_contentLength)
        finish(m_status);
}

void HttpClient::finish(int status)
{
    Response r;
    r.status = status;
    if (status && m_headerEnd >= 0)
        r.body = m_buffer.mid(m_headerEnd + 4, m_contentLength);
    m_buffer.clear();
    m_headerEnd = -1;
    Callback done = std::exchange(m_done, nullptr);
    if (done)
        done(r);
}

// ---- results --------------------------------------------------------------------------

double Figure::ratio() const
{
    const double b = baselineMedian();
    return std::isnan(b) || b == 0 ? qQNaN() : oursMedian() / b;
}

QString Figure::targetText() const
{
    const QString n = QString::number(limit, 'g', 4);
    switch (target) {
    case Target::None: return QStringLiteral("-");
    case Target::RatioAtMost: return QStringLiteral("ratio <= ") + n;
    case Target::RatioAtLeast: return QStringLiteral("ratio >= ") + n;
    case Target::OursAtMost: return QStringLiteral("ours <= ") + n + QLatin1Char(' ') + unit;
    case Target::OursAtLeast: return QStringLiteral("ours >= ") + n + QLatin1Char(' ') + unit;
    }
    return QString();
}

bool Figure::isMet() const
{
    const double o = oursMedian();
    const double r = ratio();
    switch (target) {
    case Target::None: return true;
    case Target::RatioAtMost: return r <= limit;      // NaN: not met
    case Target::RatioAtLeast: return r >= limit;
    case Target::OursAtMost: return o <= limit;
    case Target::OursAtLeast: return o >= limit;
    }
    return false;
}

Figure &Results::figure(const QString &name, const QString &unit, Figure::Target target, double limit, const QString &note)
{
    for (Figure &f : m_figures) {
        if (f.name == name)
            return f;
    }
    Figure f;
    f.name = name;
    f.unit = unit;
    f.target = target;
    f.limit = limit;
    f.note = note;
    m_figures.push_back(f);
    return m_figures.back();
}

void Results::error(const QString &message)
{
    std::fprintf(stderr, "bench: ERROR: %s\n", qUtf8Printable(message));
    m_errors.append(message);
}

static QString number(double v)
{
    if (std::isnan(v))
        return QStringLiteral("-");
    const double a = std::fabs(v);
    if (a >= 1000)
        return QString::number(v, 'f', 0);
    if (a >= 100)
        return QString::number(v, 'f', 1);
    if (a >= 1)
        return QString::number(v, 'f', 2);
    return QString::number(v, 'g', 3);
}

void Results::print() const
{
    QTextStream out(stdout);
    const QStringList header{QStringLiteral("figure"), QStringLiteral("ours"), QStringLiteral("baseline"),
                             QStringLiteral("ratio"), QStringLiteral("target"), QStringLiteral("met")};
    QList<QStringList> rows;
    for (const Figure &f : m_figures) {
        rows.append({f.name, number(f.oursMedian()) + QLatin1Char(' ') + f.unit,
                     f.baseline.isEmpty() ? QStringLiteral("-") : number(f.baselineMedian()) + QLatin1Char(' ') + f.unit,
                     number(f.ratio()), f.targetText(),
                     f.target == Figure::Target::None ? QStringLiteral("(info)") : f.isMet() ? QStringLiteral("yes") : QStringLiteral("NO")});
    }
    QList<qsizetype> widths(header.size());
    for (qsizetype c = 0; c < header.size(); ++c) {
        widths[c] = header.at(c).size();
        for (const QStringList &r : rows)
            widths[c] = qMax(widths[c], r.at(c).size());
    }
    auto line = [&](const QStringList &cells) {
        QString s;
        for (qsizetype c = 0; c < cells.size(); ++c)
            s += (c ? QStringLiteral(" | ") : QString()) + (c == 0 ? cells.at(c).leftJustified(widths[c]) : cells.at(c).rightJustified(widths[c]));
        out << s << '\n';
    };
    out << '\n';
    line(header);
    QStringList rule;
    for (qsizetype w : widths)
        rule.append(QString(w, QLatin1Char('-')));
    line(rule);
    for (const QStringList &r : rows)
        line(r);
    out << "(medians of runs; ratio = ours / baseline)\n";
    for (const QString &e : m_errors)
        out << "ERROR: " << e << '\n';
    out.flush();
}

bool Results::writeJson(const QString &path) const
{
    QJsonArray array;
    auto value = [](double v) { return std::isnan(v) ? QJsonValue(QJsonValue::Null) : QJsonValue(v); };
    for (const Figure &f : m_figures) {
        QJsonObject o;
        o.insert(QLatin1String("figure"), f.name);
        o.insert(QLatin1String("ours"), value(f.oursMedian()));
        o.insert(QLatin1String("baseline"), value(f.baselineMedian()));
        o.insert(QLatin1String("ratio"), value(f.ratio()));
        o.insert(QLatin1String("target"), f.targetText());
        o.insert(QLatin1String("unit"), f.unit);
        o.insert(QLatin1String("met"), f.target == Figure::Target::None ? QJsonValue(QJsonValue::Null) : QJsonValue(f.isMet()));
        o.insert(QLatin1String("runs"), int(f.ours.size()));
        QJsonArray oursRuns, baselineRuns;
        for (double v : f.ours)
            oursRuns.append(value(v));
        for (double v : f.baseline)
            baselineRuns.append(value(v));
        o.insert(QLatin1String("oursRuns"), oursRuns);
        o.insert(QLatin1String("baselineRuns"), baselineRuns);
        if (!f.note.isEmpty())
            o.insert(QLatin1String("note"), f.note);
        array.append(o);
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    file.write(QJsonDocument(array).toJson(QJsonDocument::Indented));
    return true;
}

Results &results()
{
    static Results r;
    return r;
}

PostLoad::PostLoad(quint16 port, int connections, bool keyed)
    : m_headers("Authorization: Bearer " + token("auth") + "\r\nPrefer: return=minimal\r\n")
    , m_keyed(keyed)
    // Unique across runs on one database: its keys table outlives a run.
    , m_keyPrefix("rate-" + QByteArray::number(QDateTime::currentMSecsSinceEpoch()) + '-')
{
    for (int i = 0; i < connections; ++i)
        m_clients.push_back(std::make_unique<HttpClient>(port));
    for (auto &c : m_clients)
        next(c.get());
}

void PostLoad::next(HttpClient *client)
{
    static const QByteArray body = R"({"name":"rate","value":0.5,"flag":true})";
    ++m_inFlight;
    const QByteArray headers = m_keyed ? m_headers + "Idempotency-Key: " + m_keyPrefix + QByteArray::number(m_nextKey++) + "\r\n" : m_headers;
    client->send("POST", "/query/t", body, headers, [this, client](const HttpClient::Response &r) {
        --m_inFlight;
        if (r.status == 201) {
            ++m_created;
        } else {
            ++m_failed;
            m_lastStatus = r.status;
        }
        if (m_running && r.status)
            next(client);
    });
}

void PostLoad::stop()
{
    m_running = false;
    spinUntil([this] { return m_inFlight == 0; }, 10000);
}

} // namespace Bench

namespace Bench {

QJsonObject runWorker(const QString &mode, const QStringList &args, QString *error, int timeoutMs)
{
    QByteArray out;
    const int rc = runProgram(options().selfBin, QStringList{QStringLiteral("--worker"), mode} + args, &out, nullptr, QString(),
                              timeoutMs);
    const QJsonObject result = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
    if (rc != 0 || result.isEmpty() || result.contains(QLatin1String("error"))) {
        *error = QStringLiteral("worker %1 failed (%2): %3").arg(mode).arg(rc).arg(QString::fromUtf8(out.right(500)));
        return {};
    }
    return result;
}

} // namespace Bench
