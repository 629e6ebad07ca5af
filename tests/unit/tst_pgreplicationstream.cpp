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
    QTest::addColumn<QByteArray>("command");
    const QByteArray keyword = "CREATE_REPLICATION_SLOT s1 TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT";
    const QByteArray options = "CREATE_REPLICATION_SLOT s1 TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')";
    QTest::newRow("14.0") << 140000 << keyword;
    QTest::newRow("14.18") << 140018 << keyword;
    QTest::newRow("15.0") << 150000 << options;
    QTest::newRow("17.12") << 170012 << options;
    QTest::newRow("18.1") << 180001 << options;
}

void tst_PgReplicationStream::createSlotCommand()
{
    QFETCH(int, serverVersion);
    QFETCH(QByteArray, command);
    QCOMPARE(PgReplicationStream::createSlotCommand("s1", serverVersion), command);
}

QTEST_GUILESS_MAIN(tst_PgReplicationStream)
#include "tst_pgreplicationstream.moc"
