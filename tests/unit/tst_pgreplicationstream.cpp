// PgReplicationStream's pure parts: LSN text and the slot command per server
// version (the streaming itself is tested against the real cluster in
// tst_changecapture).

#include "pg/pgreplicationstream.h"

#include <QtTest>

using namespace Aiodata::Server;

class tst_PgReplicationStream : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lsnToString_data();
    void lsnToString();
    void createSlotCommand_data();
    void createSlotCommand();
    void parseLsn_data();
    void parseLsn();
};

void tst_PgReplicationStream::lsnToString_data()
{
    QTest::addColumn<quint64>("lsn");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << quint64(0) << QStringLiteral("0/0");
    QTest::newRow("low word") << quint64(0x16B3748) << QStringLiteral("0/16B3748");
    QTest::newRow("both words") << ((quint64(0x2A) << 32) | 0xFF) << QStringLiteral("2A/FF");
}

void tst_PgReplicationStream::lsnToString()
{
    QFETCH(quint64, lsn);
    QFETCH(QString, text);
    QCOMPARE(PgReplicationStream::lsnToString(lsn), text);
}

void tst_PgReplicationStream::createSlotCommand_data()
{
    QTest::addColumn<int>("serverVersion");
    QTest::addColumn<bool>("temporary");
    QTest::addColumn<bool>("failover");
    QTest::addColumn<QByteArray>("command");
    const QByteArray keyword = "CREATE_REPLICATION_SLOT s1 TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT";
    const QByteArray options = "CREATE_REPLICATION_SLOT s1 TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')";
    QTest::newRow("14.0") << 140000 << true << false << keyword;
    QTest::newRow("14.18") << 140018 << true << false << keyword;
    QTest::newRow("15.0") << 150000 << true << false << options;
    QTest::newRow("17.12") << 170012 << true << false << options;
    QTest::newRow("18.1") << 180001 << true << false << options;
    // A temporary slot never fails over.
    QTest::newRow("temporary 17, failover asked") << 170012 << true << true << options;
    // A permanent slot (AIODATA_SLOT) is the same command without TEMPORARY,
    // made a failover slot where PostgreSQL has them (17+).
    QTest::newRow("permanent 14") << 140018 << false << true
                                  << QByteArray("CREATE_REPLICATION_SLOT s1 LOGICAL pgoutput NOEXPORT_SNAPSHOT");
    QTest::newRow("permanent 16") << 160009 << false << true
                                  << QByteArray("CREATE_REPLICATION_SLOT s1 LOGICAL pgoutput (SNAPSHOT 'nothing')");
    QTest::newRow("permanent 17") << 170012 << false << true
                                  << QByteArray("CREATE_REPLICATION_SLOT s1 LOGICAL pgoutput (SNAPSHOT 'nothing', FAILOVER true)");
    QTest::newRow("permanent 17 on a standby") << 170012 << false << false
                                               << QByteArray("CREATE_REPLICATION_SLOT s1 LOGICAL pgoutput (SNAPSHOT 'nothing')");
}

void tst_PgReplicationStream::createSlotCommand()
{
    QFETCH(int, serverVersion);
    QFETCH(bool, temporary);
    QFETCH(bool, failover);
    QFETCH(QByteArray, command);
    QCOMPARE(PgReplicationStream::createSlotCommand("s1", serverVersion, temporary, failover), command);
}

void tst_PgReplicationStream::parseLsn_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<quint64>("lsn");
    QTest::newRow("zero") << QByteArray("0/0") << quint64(0);
    QTest::newRow("low word") << QByteArray("0/16B3748") << quint64(0x16B3748);
    QTest::newRow("both words") << QByteArray("2A/FF") << ((quint64(0x2A) << 32) | 0xFF);
    QTest::newRow("widest") << QByteArray("FFFFFFFF/FFFFFFFF") << ~quint64(0);
    QTest::newRow("empty") << QByteArray() << quint64(0);
    QTest::newRow("no slash") << QByteArray("16B3748") << quint64(0);
    QTest::newRow("no high part") << QByteArray("/1") << quint64(0);
    QTest::newRow("no low part") << QByteArray("1/") << quint64(0);
    QTest::newRow("not hex") << QByteArray("0/XYZ") << quint64(0);
    QTest::newRow("high too wide") << QByteArray("100000000/0") << quint64(0);
}

void tst_PgReplicationStream::parseLsn()
{
    QFETCH(QByteArray, text);
    QFETCH(quint64, lsn);
    QCOMPARE(PgReplicationStream::parseLsn(text), lsn);
    if (lsn)
        QCOMPARE(PgReplicationStream::lsnToString(lsn).toLatin1(), text); // the inverse
}

QTEST_GUILESS_MAIN(tst_PgReplicationStream)
#include "tst_pgreplicationstream.moc"
