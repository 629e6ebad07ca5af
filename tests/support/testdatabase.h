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
    // Runs one write and returns how many rows it changed; -1 on error.
    qint64 changed(const QString &sql) const;
    // Rows of a query as JSON objects, ordered as the query orders them.
    QJsonArray rows(const QString &sql) const;

    static QString adminUri();            // AIODATA_TEST_ADMIN_URI

private:
    QString m_name;
};
