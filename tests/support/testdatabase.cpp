#include "testdatabase.h"

#include <QFile>
#include <QThread>
#include <QJsonDocument>
#include <QUrl>

#include <libpq-fe.h>

static bool run(const QString &uri, const QByteArray &sql, QString *error, QByteArray *firstValue = nullptr,
                qint64 *changedRows = nullptr)
{
    PGconn *conn = PQconnectdb(uri.toUtf8().constData());
    if (PQstatus(conn) != CONNECTION_OK) {
        if (error)
            *error = QString::fromUtf8(PQerrorMessage(conn));
        PQfinish(conn);
        return false;
    }
    PGresult *res = PQexec(conn, sql.constData());
    const ExecStatusType status = PQresultStatus(res);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok && error)
        *error = QString::fromUtf8(PQresultErrorMessage(res));
    if (ok && firstValue && PQntuples(res) > 0)
        *firstValue = QByteArray(PQgetvalue(res, 0, 0));
    if (ok && changedRows)
        *changedRows = QByteArray(PQcmdTuples(res)).toLongLong();
    PQclear(res);
    PQfinish(conn);
    return ok;
}

TestDatabase::TestDatabase(const QString &name)
    : m_name(name)
{
}

TestDatabase::~TestDatabase()
{
    // Left in place on purpose: a failed test's data can be inspected with
    // scripts/devdb psql; the next run drops it first.
}

QString TestDatabase::adminUri()
{
    const QString uri = qEnvironmentVariable("AIODATA_TEST_ADMIN_URI");
    return uri.isEmpty() ? QStringLiteral("postgres://postgres@127.0.0.1:55439/postgres") : uri;
}

static QString withDatabase(const QString &uri, const QString &user, const QString &db)
{
    QUrl u(uri);
    u.setUserName(user);
    u.setPath(QLatin1Char('/') + db);
    return u.toString();
}

QString TestDatabase::superuserUri() const
{
    return withDatabase(adminUri(), QStringLiteral("postgres"), m_name);
}

QString TestDatabase::authenticatorUri() const
{
    return withDatabase(adminUri(), QStringLiteral("authenticator"), m_name);
}

bool TestDatabase::isRecordedCluster(const QString &uri, const QString &recordFile, QString *error)
{
    QFile record(recordFile);
    if (!record.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("no record of the test cluster in %1 (%2): was it started by scripts/devdb?")
                         .arg(recordFile, record.errorString());
        return false;
    }
    const QByteArray expected = record.readAll().trimmed();
    QByteArray actual;
    // The same query as scripts/devdb's when it writes the record: change both or neither.
    if (!run(uri, "SELECT current_setting('data_directory') || ' ' || pg_postmaster_start_time()", error, &actual))
        return false;
    if (actual != expected) {
        if (error)
            *error = QStringLiteral("the server at %1 is not the cluster the test harness started: it is \"%2\", "
                                    "the harness started \"%3\"")
                         .arg(uri, QString::fromUtf8(actual), QString::fromUtf8(expected));
        return false;
    }
    return true;
}

bool TestDatabase::create(QString *error)
{
    // Once per process: every integration test then fails rather than run
    // against a cluster the harness did not start.
    static bool verified = false;
    const QString dir = qEnvironmentVariable("AIODATA_TEST_DB_DIR");
    if (!verified && !dir.isEmpty()) {
        if (!isRecordedCluster(adminUri(), dir + QStringLiteral("/cluster"), error))
            return false;
        verified = true;
    }
    const QByteArray name = m_name.toUtf8();
    // A server left over from an aborted run may still stream from this
    // database; its walsender holds a slot that FORCE does not end.
    for (int attempt = 0;; ++attempt) {
        run(adminUri(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "' AND pid <> pg_backend_pid()",
            nullptr);
        if (run(adminUri(), "DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)", error))
            break;
        if (attempt == 20)
            return false;
        QThread::msleep(100);
    }
    if (!run(adminUri(), "CREATE DATABASE \"" + name + '"', error))
        return false;
    QFile schema(QStringLiteral(AIODATA_SOURCE_DIR "/examples/pets.sql"));
    if (!schema.open(QIODevice::ReadOnly)) {
        if (error)
            *error = schema.errorString();
        return false;
    }
    return run(superuserUri(), schema.readAll(), error);
}

bool TestDatabase::exec(const QString &sql, QString *error) const
{
    return run(superuserUri(), sql.toUtf8(), error);
}

bool TestDatabase::execAt(const QString &uri, const QString &sql, QString *error)
{
    return run(uri, sql.toUtf8(), error);
}

qint64 TestDatabase::changed(const QString &sql) const
{
    qint64 n = -1;
    QString error;
    if (!run(superuserUri(), sql.toUtf8(), &error, nullptr, &n))
        qWarning("TestDatabase::changed: %s", qPrintable(error));
    return n;
}

QJsonArray TestDatabase::rows(const QString &sql) const
{
    QByteArray json;
    QString error;
    if (!run(superuserUri(), "SELECT coalesce(json_agg(_q), '[]')::text FROM (" + sql.toUtf8() + ") AS _q", &error, &json)) {
        qWarning("TestDatabase::rows: %s", qPrintable(error));
        return {};
    }
    return QJsonDocument::fromJson(json).array();
}
