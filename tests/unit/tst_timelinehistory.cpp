// TimelineHistory: the TIMELINE_HISTORY file a promoted standby hands out,
// and which positions of earlier timelines are still part of the history.

#include "pg/timelinehistory.h"

#include <QtTest>

using namespace Aiodata::Server;

class tst_TimelineHistory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void contains_data();
    void contains();
};

void tst_TimelineHistory::parse_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QList<int>>("timelines");
    QTest::addColumn<QList<quint64>>("switchPoints");
    // As PostgreSQL writes 00000003.history after two promotions.
    QTest::newRow("two promotions") << QByteArray("1\t0/3000060\tno recovery target specified\n\n"
                                                  "2\t0/5000118\tno recovery target specified\n")
                                    << true << QList<int>{1, 2} << QList<quint64>{0x3000060, 0x5000118};
    QTest::newRow("comment and blank lines") << QByteArray("# a comment\n\n1\t1/0\treason\n") << true << QList<int>{1}
                                             << QList<quint64>{quint64(1) << 32};
    QTest::newRow("no reason") << QByteArray("1\t0/10") << true << QList<int>{1} << QList<quint64>{0x10};
    QTest::newRow("empty") << QByteArray() << true << QList<int>{} << QList<quint64>{};
    QTest::newRow("not a number") << QByteArray("x\t0/10\tr\n") << false << QList<int>{} << QList<quint64>{};
    QTest::newRow("no lsn") << QByteArray("1\n") << false << QList<int>{} << QList<quint64>{};
    QTest::newRow("bad lsn") << QByteArray("1\tzz\tr\n") << false << QList<int>{} << QList<quint64>{};
    QTest::newRow("timeline zero") << QByteArray("0\t0/10\tr\n") << false << QList<int>{} << QList<quint64>{};
    QTest::newRow("timelines go back") << QByteArray("2\t0/10\tr\n1\t0/20\tr\n") << false << QList<int>{} << QList<quint64>{};
    QTest::newRow("switch points go back") << QByteArray("1\t0/20\tr\n2\t0/10\tr\n") << false << QList<int>{}
                                           << QList<quint64>{};
}

void tst_TimelineHistory::parse()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(QList<int>, timelines);
    QFETCH(QList<quint64>, switchPoints);
    const auto history = TimelineHistory::parse(text);
    QCOMPARE(history.has_value(), valid);
    if (!valid)
        return;
    QCOMPARE(history->ancestors.size(), timelines.size());
    for (qsizetype i = 0; i < timelines.size(); ++i) {
        QCOMPARE(history->ancestors.at(i).timeline, timelines.at(i));
        QCOMPARE(history->ancestors.at(i).switchPoint, switchPoints.at(i));
    }
}

void tst_TimelineHistory::contains_data()
{
    QTest::addColumn<int>("timeline");
    QTest::addColumn<quint64>("position");
    QTest::addColumn<bool>("expected");
    // Current timeline 3; 1 branched at 0x3000060, 2 at 0x5000118.
    QTest::newRow("current, anywhere") << 3 << quint64(0x9000000) << true;
    QTest::newRow("timeline 1 before its switch") << 1 << quint64(0x3000000) << true;
    QTest::newRow("timeline 1 at its switch") << 1 << quint64(0x3000060) << false;
    QTest::newRow("timeline 1 after its switch") << 1 << quint64(0x4000000) << false;
    QTest::newRow("timeline 2 between the switches") << 2 << quint64(0x4000000) << true;
    QTest::newRow("timeline 2 after its switch") << 2 << quint64(0x5000200) << false;
    QTest::newRow("a timeline not in the history") << 4 << quint64(0x10) << false;
}

void tst_TimelineHistory::contains()
{
    QFETCH(int, timeline);
    QFETCH(quint64, position);
    QFETCH(bool, expected);
    const auto history = TimelineHistory::parse("1\t0/3000060\tr\n2\t0/5000118\tr\n");
    QVERIFY(history);
    QCOMPARE(history->contains(timeline, position, 3), expected);
}

QTEST_GUILESS_MAIN(tst_TimelineHistory)
#include "tst_timelinehistory.moc"
