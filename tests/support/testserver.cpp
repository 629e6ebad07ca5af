#include "testserver.h"

#include "auth/jwtverifier.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpServer>

#include <csignal>
#include <sys/prctl.h>

TestServer::TestServer() = default;

TestServer::~TestServer()
{
    stop();
}

QString TestServer::configPath() const
{
    return m_dir.filePath(QStringLiteral("postgrest.conf"));
}

quint16 TestServer::freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

bool TestServer::restart(QString *error)
{
    stop();
    return start(m_dbUri, m_extraConfig, error, m_port);
}

bool TestServer::start(const QString &dbUri, const QString &extraConfig, QString *error, quint16 port)
{
    m_dbUri = dbUri;
    m_extraConfig = extraConfig;
    QFile conf(configPath());
    if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    conf.write("db-uri = \"" + dbUri.toUtf8() + "\"\n"
               "db-schemas = \"api\"\n"
               "db-anon-role = \"anon\"\n"
               "jwt-secret = \"" + QByteArray(Secret) + "\"\n"
               "db-pool = 4\n" + extraConfig.toUtf8() + "\n");
    conf.close();

    m_output.clear();
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setProcessEnvironment(environment);
    // A test that crashes or is killed by ctest's timeout must not leave its
    // server running against the next run's cluster: the kernel ends the
    // server with the test.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process.start(QStringLiteral(AIODATA_SERVER_BIN),
                    QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)} + extraArguments
                        + QStringList{configPath()});
    // The server prints "... on http://127.0.0.1:<port> ..." once it serves.
    static const QRegularExpression serving(QStringLiteral("on http://127\\.0\\.0\\.1:(\\d+)"));
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 20000) {
        if (!m_process.waitForReadyRead(200) && m_process.state() == QProcess::NotRunning)
            break;
        m_output += m_process.readAll();
        const auto match = serving.match(QString::fromUtf8(m_output));
        if (match.hasMatch()) {
            m_port = match.captured(1).toUShort();
            return true;
        }
    }
    m_output += m_process.readAll();
    if (error)
        *error = QStringLiteral("server did not start: ") + QString::fromUtf8(m_output);
    return false;
}

void TestServer::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(5000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void TestServer::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(5000);
}

bool TestServer::isRunning() const
{
    return m_process.state() == QProcess::Running;
}

QUrl TestServer::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

QByteArray TestServer::output()
{
    m_output += m_process.readAll();
    return m_output;
}

QString TestServer::token(const QString &role, const QJsonObject &extraClaims)
{
    QJsonObject claims = extraClaims;
    claims.insert(QLatin1String("role"), role);
    return QString::fromLatin1(Aiodata::Server::JwtVerifier::sign(claims, QByteArray(Secret)));
}
