// The QML example viewer, started offscreen against the real server with
// --quit-after-load: it must load every row into its view without a single
// QML warning, and say in words why when it cannot connect.

#include "testdatabase.h"
#include "testserver.h"

#include <QProcess>
#include <QtTest>

class tst_QmlViewer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void loadsEveryRow_data();
    void loadsEveryRow();
    void reportsFailures_data();
    void reportsFailures();
    void cleanupTestCase();

private:
    struct Run
    {
        int exitCode = -1;
        QString out;
        QString err;
    };
    static Run run(const QStringList &arguments);

    TestDatabase m_db{QStringLiteral("tst_qmlviewer")};
    TestServer m_server;
};

void tst_QmlViewer::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // A NULL in a text cell and in a boolean one: delegates must show both.
    QVERIFY2(m_db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Dog', 'Beagle', 'Rex', 1, false),"
                                      " ('Cat', 'Tabby', 'Tom', NULL, NULL), ('Fish', 'Koi', 'Aqui', 3, true)"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

void tst_QmlViewer::cleanupTestCase()
{
    m_server.stop();
}

tst_QmlViewer::Run tst_QmlViewer::run(const QStringList &arguments)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(AIODATA_QMLVIEWER_BIN), arguments);
    Run result;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        result.err = QStringLiteral("qmlviewer did not exit");
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.err = QString::fromLocal8Bit(process.readAllStandardError());
    return result;
}

void tst_QmlViewer::loadsEveryRow_data()
{
    QTest::addColumn<QString>("token");
    QTest::newRow("auth") << TestServer::token(QStringLiteral("auth"));
    QTest::newRow("anonymous") << QString();
}

void tst_QmlViewer::loadsEveryRow()
{
    QFETCH(QString, token);
    QStringList arguments{QStringLiteral("--url"), m_server.url().toString(), QStringLiteral("--quit-after-load")};
    if (!token.isEmpty())
        arguments << QStringLiteral("--token") << token;
    const Run r = run(arguments);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QLatin1String("ready: 1 table(s); pets: 3 row(s) shown")), qPrintable(r.out));
    // QML warnings name their file: binding errors, type errors, bad delegates.
    for (const QString &line : r.err.split(QLatin1Char('\n'))) {
        QVERIFY2(!line.contains(QLatin1String(".qml:")) && !line.contains(QLatin1String(".js:")), qPrintable(line));
    }
}

void tst_QmlViewer::reportsFailures_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("unreachable") << QStringList{QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:9")}
                                 << QStringLiteral("Cannot reach the server");
    QTest::newRow("refused token") << QStringList{QStringLiteral("--token"), QStringLiteral("not.a.jwt")}
                                   << QStringLiteral("Access refused");
    QTest::newRow("no url") << QStringList() << QStringLiteral("--quit-after-load needs --url");
}

void tst_QmlViewer::reportsFailures()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    if (arguments.value(0) == QLatin1String("--token"))
        arguments << QStringLiteral("--url") << m_server.url().toString();
    const Run r = run(arguments << QStringLiteral("--quit-after-load"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY2(!r.out.contains(QLatin1String("ready")), qPrintable(r.out));
}

QTEST_GUILESS_MAIN(tst_QmlViewer)
#include "tst_qmlviewer.moc"
