#pragma once

#include <QJsonArray>
#include <QString>

// A fresh database in the test cluster (started by the ctest fixture through
// scripts/devdb), loaded with examples/pets.sql. Blocking libpq: tests only.
class TestDatabase
{
public:
    explicit TestDatabase(const QString &name);
    ~TestDatabase();

    bool create(QString *error);          // drop if present, create, load the pets schema
    QString name() const { return m_name; }
    QString superuserUri() const;         // connects as postgres
    QString authenticatorUri() const;     // what the server's db-uri uses

    bool exec(const QString &sql, QString *error = nullptr) const;
    // The same against another server (a standby of the test cluster, say).
    static bool execAt(const QString &uri, const QString &sql, QString *error = nullptr);
    // Runs one write and returns how many rows it changed; -1 on error.
    qint64 changed(const QString &sql) const;
    // Rows of a query as JSON objects, ordered as the query orders them.
    QJsonArray rows(const QString &sql) const;

    static QString adminUri();            // AIODATA_TEST_ADMIN_URI

    // True when the server at uri is the cluster that scripts/devdb recorded
    // in recordFile (its data directory and postmaster start time): a cluster
    // that merely answers on the port (another checkout's, one left from an
    // earlier run) is refused with a message in *error. create() checks this
    // once per process against $AIODATA_TEST_DB_DIR/cluster.
    static bool isRecordedCluster(const QString &uri, const QString &recordFile, QString *error);

private:
    QString m_name;
};
