#pragma once

#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QUrl>

// The real aiodata server binary, on a free loopback port, with a
// postgrest.conf written for the given database.
class TestServer
{
public:
    static constexpr const char *Secret = "reallyreallyreallyreallyverysafe"; // 32 bytes: PostgREST's minimum

    TestServer();
    ~TestServer();

    // extraConfig lines are appended to the config file.
    // port 0 picks a free one.
    bool start(const QString &dbUri, const QString &extraConfig = QString(), QString *error = nullptr,
               quint16 port = 0);
    // Starts again with the same database, config and port.
    bool restart(QString *error = nullptr);
    static quint16 freePort();
    void stop();                        // SIGTERM and wait
    void kill();                        // SIGKILL
    bool isRunning() const;
    qint64 pid() const { return m_process.processId(); }

    QUrl url() const;                   // http://127.0.0.1:<port>
    quint16 port() const { return m_port; }
    QString configPath() const;
    QByteArray output();                // everything the server printed so far

    // HS256 token with {"role": role} plus extra claims, for the test secret.
    // Extra command-line arguments and environment for the next start.
    QStringList extraArguments;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();

    static QString token(const QString &role, const QJsonObject &extraClaims = {});

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_dbUri;
    QString m_extraConfig;
    QByteArray m_output;
};
