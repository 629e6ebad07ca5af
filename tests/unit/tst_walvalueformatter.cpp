// WalValueFormatter: pgoutput's text form of built-in types to the JSON
// row_to_json writes. tst_walvalues checks the same against PostgreSQL; this
// pins the edges and the refusals (false: PostgreSQL converts instead).

#include "capture/walvalueformatter.h"

#include <QtTest>

using Aiodata::Server::WalValueFormatter;

class TestWalValueFormatter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void append_data();
    void append();
    void sessionDependentTypes();
    void jsonNumber_data();
    void jsonNumber();
};

namespace {
enum : quint32 { Bool = 16, Int8 = 20, Int4 = 23, Text = 25, Oid = 26, Json = 114, Float8 = 701, Date = 1082,
                 Timestamp = 1114, TimestampTz = 1184, Numeric = 1700, Uuid = 2950, Interval = 1186 };
}

void TestWalValueFormatter::append_data()
{
    QTest::addColumn<quint32>("type");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("json"); // null: refused

    QTest::newRow("bool t") << quint32(Bool) << QByteArray("t") << QByteArray("true");
    QTest::newRow("bool f") << quint32(Bool) << QByteArray("f") << QByteArray("false");
    QTest::newRow("bool other") << quint32(Bool) << QByteArray("true") << QByteArray();
    QTest::newRow("int8 min") << quint32(Int8) << QByteArray("-9223372036854775808") << QByteArray("-9223372036854775808");
    QTest::newRow("int4") << quint32(Int4) << QByteArray("42") << QByteArray("42");
    QTest::newRow("oid is a string") << quint32(Oid) << QByteArray("4294967295") << QByteArray("\"4294967295\"");
    QTest::newRow("float NaN") << quint32(Float8) << QByteArray("NaN") << QByteArray("\"NaN\"");
    QTest::newRow("float -Infinity") << quint32(Float8) << QByteArray("-Infinity") << QByteArray("\"-Infinity\"");
    QTest::newRow("float -0") << quint32(Float8) << QByteArray("-0") << QByteArray("-0");
    QTest::newRow("float exponent") << quint32(Float8) << QByteArray("1e+300") << QByteArray("1e+300");
    QTest::newRow("numeric") << quint32(Numeric) << QByteArray("-0.000001000") << QByteArray("-0.000001000");
    QTest::newRow("text escapes") << quint32(Text) << QByteArray("q\"\\\n\t\b\f\r\x01\xc3\xa9")
                                  << QByteArray("\"q\\\"\\\\\\n\\t\\b\\f\\r\\u0001\xc3\xa9\"");
    QTest::newRow("uuid") << quint32(Uuid) << QByteArray("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
                          << QByteArray("\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    QTest::newRow("json as is") << quint32(Json) << QByteArray("  [ 1 , 2.50 ]") << QByteArray("  [ 1 , 2.50 ]");
    QTest::newRow("date") << quint32(Date) << QByteArray("2024-02-29") << QByteArray("\"2024-02-29\"");
    QTest::newRow("date BC") << quint32(Date) << QByteArray("0044-03-15 BC") << QByteArray("\"0044-03-15 BC\"");
    QTest::newRow("date infinity") << quint32(Date) << QByteArray("infinity") << QByteArray("\"infinity\"");
    QTest::newRow("date not ISO") << quint32(Date) << QByteArray("02/29/2024") << QByteArray();
    QTest::newRow("timestamp") << quint32(Timestamp) << QByteArray("2024-02-29 23:59:59.999999")
                               << QByteArray("\"2024-02-29T23:59:59.999999\"");
    QTest::newRow("timestamp big year") << quint32(Timestamp) << QByteArray("294276-12-31 23:59:59")
                                        << QByteArray("\"294276-12-31T23:59:59\"");
    QTest::newRow("timestamp not ISO") << quint32(Timestamp) << QByteArray("Thu Feb 29 23:59:59 2024") << QByteArray();
    QTest::newRow("timestamptz hours only") << quint32(TimestampTz) << QByteArray("2024-06-30 10:34:56.789+00")
                                            << QByteArray("\"2024-06-30T10:34:56.789+00:00\"");
    QTest::newRow("timestamptz half hour") << quint32(TimestampTz) << QByteArray("2024-06-30 16:04:56+05:30")
                                           << QByteArray("\"2024-06-30T16:04:56+05:30\"");
    QTest::newRow("timestamptz negative") << quint32(TimestampTz) << QByteArray("2024-06-30 07:04:56-03")
                                          << QByteArray("\"2024-06-30T07:04:56-03:00\"");
    QTest::newRow("timestamptz offset with seconds") << quint32(TimestampTz) << QByteArray("1847-12-01 11:58:45-00:01:15")
                                                     << QByteArray("\"1847-12-01T11:58:45-00:01:15\"");
    QTest::newRow("timestamptz BC") << quint32(TimestampTz) << QByteArray("2024-01-01 00:00:00+00 BC")
                                    << QByteArray("\"2024-01-01T00:00:00+00:00 BC\"");
    QTest::newRow("timestamptz -infinity") << quint32(TimestampTz) << QByteArray("-infinity") << QByteArray("\"-infinity\"");
    QTest::newRow("timestamptz zone name") << quint32(TimestampTz) << QByteArray("2024-06-30 10:34:56 CEST") << QByteArray();
    QTest::newRow("timestamptz no zone") << quint32(TimestampTz) << QByteArray("2024-06-30 10:34:56") << QByteArray();
    QTest::newRow("interval: not handled") << quint32(Interval) << QByteArray("1 day") << QByteArray();
}

void TestWalValueFormatter::append()
{
    QFETCH(quint32, type);
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, json);
    QByteArray out = "[";
    const bool ok = WalValueFormatter::append(out, type, text, true);
    QCOMPARE(ok, !json.isNull());
    QCOMPARE(out, ok ? "[" + json : QByteArray("["));
}

// Without a replication session that writes like the pool's, floats and
// date/time values are left to PostgreSQL.
void TestWalValueFormatter::sessionDependentTypes()
{
    for (const quint32 type : {quint32(Float8), quint32(Date), quint32(Timestamp), quint32(TimestampTz)}) {
        QVERIFY(WalValueFormatter::handles(type, true));
        QVERIFY(!WalValueFormatter::handles(type, false));
        QByteArray out;
        QVERIFY(!WalValueFormatter::append(out, type, "1", false));
        QVERIFY(out.isEmpty());
    }
    QVERIFY(WalValueFormatter::handles(Int4, false));
    QVERIFY(!WalValueFormatter::handles(Interval, true));
}

void TestWalValueFormatter::jsonNumber_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    for (const char *good : {"0", "-0", "12", "1.5", "-0.25", "1e5", "1E+5", "2.5e-10"})
        QTest::newRow(good) << QByteArray(good) << true;
    for (const char *bad : {"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "NaN", "Infinity", "1 ", "0x10"})
        QTest::newRow(*bad ? bad : "empty") << QByteArray(bad) << false;
}

void TestWalValueFormatter::jsonNumber()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QCOMPARE(WalValueFormatter::isJsonNumber(text), valid);
}

QTEST_GUILESS_MAIN(TestWalValueFormatter)
#include "tst_walvalueformatter.moc"
