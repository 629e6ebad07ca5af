// The test harness itself: the integration tests run only against the
// cluster that this run's db_start fixture started, never against one that
// merely answers on the port (an earlier run's, another checkout's, a
// packaged server), and scripts/devdb refuses a port that another cluster holds.

#include "testdatabase.h"
#include "testserver.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

class tst_TestHarness : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void recordedClusterOnly_data();
    void recordedClusterOnly();
    void devdbRefusesAPortAnotherClusterHolds();
    void cleanupTestCase();

private:
    // scripts/devdb with the given folder and port; returns its exit code.
    int devdb(const QString &command, const QString &dir, quint16 port, QByteArray *output = nullptr);

    QString m_record;
    QByteArray m_recorded;
    QTemporaryDir m_work;
    QStringList m_started; // clusters this test started, stopped at the end
    QList<quint16> m_ports;
};

void tst_TestHarness::initTestCase()
{
    const QString dir = qEnvironmentVariable("AIODATA_TEST_DB_DIR");
    if (dir.isEmpty())
        QSKIP("AIODATA_TEST_DB_DIR not set: run through ctest");
    m_record = dir + QStringLiteral("/cluster");
    QFile record(m_record);
    QVERIFY2(record.open(QIODevice::ReadOnly), qPrintable(m_record));
    m_recorded = record.readAll().trimmed();
    QVERIFY(m_recorded.contains(' '));
    QVERIFY(m_work.isValid());
}

void tst_TestHarness::recordedClusterOnly_data()
{
    QTest::addColumn<QByteArray>("record");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<QString>("reason");

    const int space = m_recorded.indexOf(' ');
    const QByteArray dataDir = m_recorded.left(space);
    const QByteArray startTime = m_recorded.mid(space + 1);
    QTest::newRow("the cluster db_start started") << m_recorded << true << QString();
    QTest::newRow("another cluster on the port") << QByteArray("/tmp/aiodata-devdb-55439/data " + startTime) << false
                                                 << QStringLiteral("not the cluster the test harness started");
    QTest::newRow("same folder, restarted by someone else")
        << QByteArray(dataDir + " 2001-01-01 00:00:00.000000+00") << false
        << QStringLiteral("not the cluster the test harness started");
    QTest::newRow("no record") << QByteArray() << false << QStringLiteral("no record of the test cluster");
}

void tst_TestHarness::recordedClusterOnly()
{
    QFETCH(QByteArray, record);
    QFETCH(bool, accepted);
    QFETCH(QString, reason);

    QString recordFile = m_record;
    if (!accepted) {
        recordFile = m_work.filePath(QStringLiteral("record-%1").arg(QString::fromUtf8(QTest::currentDataTag())));
        if (!record.isEmpty()) {
            QFile file(recordFile);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(record + '\n');
        }
    }
    QString error;
    QCOMPARE(TestDatabase::isRecordedCluster(TestDatabase::adminUri(), recordFile, &error), accepted);
    if (!accepted)
        QVERIFY2(error.contains(reason), qPrintable(error));
}

int tst_TestHarness::devdb(const QString &command, const QString &dir, quint16 port, QByteArray *output)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AIODATA_DB_DIR"), dir);
    env.insert(QStringLiteral("AIODATA_DB_PORT"), QString::number(port));
    env.insert(QStringLiteral("AIODATA_DB_FAST"), QStringLiteral("1"));
    env.insert(QStringLiteral("AIODATA_DB_FRESH"), QStringLiteral("1"));
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral(AIODATA_SOURCE_DIR "/scripts/devdb"), {command});
    if (!process.waitForFinished(90000))
        return -1;
    if (output)
        *output = process.readAll();
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

void tst_TestHarness::devdbRefusesAPortAnotherClusterHolds()
{
    // A cluster of someone else's on a port...
    const quint16 port = TestServer::freePort();
    const QString other = m_work.filePath(QStringLiteral("other"));
    QByteArray output;
    m_started << other;
    m_ports << port;
    QCOMPARE(devdb(QStringLiteral("start"), other, port, &output), 0);
    QVERIFY2(output.trimmed().endsWith(QByteArray(QByteArray::number(port) + "/postgres")), output.constData());

    // ...is not taken for ours: the start fails and says why.
    const QString ours = m_work.filePath(QStringLiteral("ours"));
    m_started << ours;
    m_ports << port;
    QVERIFY(devdb(QStringLiteral("start"), ours, port, &output) != 0);
    QVERIFY2(output.contains(QByteArray("port " + QByteArray::number(port) + " is taken")), output.constData());
    QVERIFY(!QFile::exists(ours + QStringLiteral("/cluster")));
}

void tst_TestHarness::cleanupTestCase()
{
    for (qsizetype i = 0; i < m_started.size(); ++i)
        devdb(QStringLiteral("stop"), m_started.at(i), m_ports.at(i));
}

QTEST_GUILESS_MAIN(tst_TestHarness)
#include "tst_testharness.moc"
