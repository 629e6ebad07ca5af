// The write journal (src/client/cache/writejournal.h): writes read back in
// order until they are done; a journal cut short by a crash keeps every
// whole record before the cut; damage ends it there and keeps the bytes
// aside; answered writes are compacted away.

#include "cache/writejournal.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <xxhash.h>

using namespace Aiodata::Internal;

namespace {

JournalEntry entry(int n, const QByteArray &method = "POST")
{
    return JournalEntry{"00000000-0000-4000-8000-" + QByteArray::number(n).rightJustified(12, '0'), method,
                        QStringLiteral("pets"),
                        method == "POST" ? QVariantList{} : QVariantList{QStringLiteral("Fish"), n},
                        method == "DELETE" ? QByteArray() : QByteArray(R"({"name":"Aqui","n":)" + QByteArray::number(n) + "}")};
}

// A record of any JSON payload, framed and summed as the journal does.
QByteArray record(const QByteArray &payload)
{
    QByteArray r(12, Qt::Uninitialized);
    qToLittleEndian(quint32(payload.size()), r.data());
    qToLittleEndian(quint64(XXH3_64bits(payload.constData(), size_t(payload.size()))), r.data() + 4);
    return r + payload;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class tst_WriteJournal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesReadBackInOrder();
    void doneWritesGoAndTheFileShrinks();
    void neverEmptyJournalStaysSmall();
    void cutShortKeepsWholeRecords_data();
    void cutShortKeepsWholeRecords();
    void recordsThatDoNotCheck_data();
    void recordsThatDoNotCheck();
    void notAJournal_data();
    void notAJournal();
    void foreignFileIsKeptAside();
};

void tst_WriteJournal::writesReadBackInOrder()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("part/writes.journal")); // the folder is made
    QString why;
    {
        WriteJournal journal;
        QVERIFY2(journal.open(path, &why), qPrintable(why));
        QVERIFY(journal.pending().isEmpty());
        for (const QByteArray &method : {QByteArray("POST"), QByteArray("PATCH"), QByteArray("DELETE")})
            QVERIFY2(journal.append(entry(int(journal.pending().size()), method), &why), qPrintable(why));
    }
    WriteJournal again;
    QVERIFY2(again.open(path, &why), qPrintable(why));
    QCOMPARE(again.pending(), (QList<JournalEntry>{entry(0, "POST"), entry(1, "PATCH"), entry(2, "DELETE")}));
    // Appending to a reopened journal keeps what it had.
    QVERIFY(again.append(entry(3), &why));
    WriteJournal third;
    QVERIFY(third.open(path, &why));
    QCOMPARE(third.pending().size(), 4);
    QCOMPARE(third.pending().last(), entry(3));
}

void tst_WriteJournal::doneWritesGoAndTheFileShrinks()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("writes.journal"));
    QString why;
    WriteJournal journal;
    QVERIFY(journal.open(path, &why));
    for (int i = 0; i < 3; ++i)
        QVERIFY(journal.append(entry(i), &why));
    journal.markDone(entry(1).id);
    journal.markDone("unknown id"); // nothing
    QCOMPARE(journal.pending(), (QList<JournalEntry>{entry(0), entry(2)}));
    {
        WriteJournal reader;
        QVERIFY(reader.open(path, &why));
        QCOMPARE(reader.pending(), (QList<JournalEntry>{entry(0), entry(2)}));
    }
    // The reader compacted it: only the two writes are left in the file.
    QCOMPARE(readAll(path), WriteJournal::header() + WriteJournal::writeRecord(entry(0)) + WriteJournal::writeRecord(entry(2)));
    WriteJournal writer;
    QVERIFY(writer.open(path, &why));
    writer.markDone(entry(0).id);
    writer.markDone(entry(2).id);
    QCOMPARE(readAll(path), WriteJournal::header()); // all answered: back to the header
    QVERIFY(writer.append(entry(4), &why));
    WriteJournal last;
    QVERIFY(last.open(path, &why));
    QCOMPARE(last.pending(), QList<JournalEntry>{entry(4)});
}

void tst_WriteJournal::neverEmptyJournalStaysSmall()
{
    // One write always waiting while thousands come and go: the file is
    // compacted, not a record of every write ever made.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("writes.journal"));
    QString why;
    WriteJournal journal;
    QVERIFY(journal.open(path, &why));
    QVERIFY(journal.append(entry(0), &why));
    for (int i = 1; i <= 5000; ++i) {
        QVERIFY(journal.append(entry(i), &why));
        journal.markDone(entry(i).id);
    }
    QCOMPARE(journal.pending(), QList<JournalEntry>{entry(0)});
    QVERIFY2(QFileInfo(path).size() < 2048 * WriteJournal::writeRecord(entry(1)).size(), qPrintable(QString::number(QFileInfo(path).size())));
    WriteJournal again;
    QVERIFY(again.open(path, &why));
    QCOMPARE(again.pending(), QList<JournalEntry>{entry(0)});
    QVERIFY(again.append(entry(9), &why));
    again.markDone(entry(0).id);
    WriteJournal third;
    QVERIFY(third.open(path, &why));
    QCOMPARE(third.pending(), QList<JournalEntry>{entry(9)});
}

void tst_WriteJournal::cutShortKeepsWholeRecords_data()
{
    QTest::addColumn<int>("cut");     // bytes taken off the end
    QTest::addColumn<int>("expected"); // writes left of three
    const int last = int(WriteJournal::writeRecord(entry(2)).size());
    QTest::newRow("whole") << 0 << 3;
    QTest::newRow("one byte of the last record") << 1 << 2;
    QTest::newRow("all of its payload") << last - 12 << 2;
    QTest::newRow("into its length") << last - 2 << 2;
    QTest::newRow("the last record exactly") << last << 2;
    QTest::newRow("into the one before") << last + 5 << 1;
}

void tst_WriteJournal::cutShortKeepsWholeRecords()
{
    QFETCH(int, cut);
    QFETCH(int, expected);
    QByteArray file = WriteJournal::header();
    for (int i = 0; i < 3; ++i)
        file += WriteJournal::writeRecord(entry(i));
    file.chop(cut);
    QString why;
    const auto contents = WriteJournal::parse(file, &why);
    QVERIFY2(contents, qPrintable(why));
    QCOMPARE(contents->pending.size(), expected);
    for (int i = 0; i < expected; ++i)
        QCOMPARE(contents->pending.at(i), entry(i));

    // Opened: the whole records stay, the cut bytes are kept aside.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("writes.journal"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(file);
    f.close();
    WriteJournal journal;
    QVERIFY(journal.open(path, &why));
    QCOMPARE(journal.pending().size(), expected);
    QCOMPARE(QFile::exists(path + QLatin1String(".damaged")), contents->validBytes < file.size());
    QVERIFY(journal.append(entry(9), &why));
    WriteJournal again;
    QVERIFY(again.open(path, &why));
    QCOMPARE(again.pending().size(), expected + 1);
    QCOMPARE(again.pending().last(), entry(9));
}

void tst_WriteJournal::recordsThatDoNotCheck_data()
{
    QTest::addColumn<QByteArray>("bad");
    QByteArray flipped = WriteJournal::writeRecord(entry(1));
    flipped[20] = char(flipped[20] ^ 1);
    QTest::newRow("a flipped bit") << flipped;
    QTest::newRow("not JSON") << record("{\"write\":");
    QTest::newRow("a JSON array") << record("[1]");
    QTest::newRow("no method") << record(R"({"write":"x","table":"pets","key":[],"body":""})");
    QTest::newRow("GET") << record(R"({"write":"x","method":"GET","table":"pets","key":[],"body":""})");
    QTest::newRow("an empty id") << record(R"({"write":"","method":"POST","table":"pets","key":[],"body":"{}"})");
    QTest::newRow("a key that is not a list") << record(R"({"write":"x","method":"POST","table":"pets","key":1,"body":"{}"})");
    QTest::newRow("a body that is not text") << record(R"({"write":"x","method":"POST","table":"pets","key":[],"body":{}})");
    QTest::newRow("done of a number") << record(R"({"done":7})");
    QByteArray huge(12, '\0');
    qToLittleEndian(quint32(0xffffffffu), huge.data());
    QTest::newRow("a length past the end") << huge + QByteArray(64, 'x');
}

void tst_WriteJournal::recordsThatDoNotCheck()
{
    // The journal ends at a record that does not check: what came before
    // it counts, nothing after it does (not even whole records).
    QFETCH(QByteArray, bad);
    const QByteArray file = WriteJournal::header() + WriteJournal::writeRecord(entry(0)) + bad
        + WriteJournal::writeRecord(entry(2));
    QString why;
    const auto contents = WriteJournal::parse(file, &why);
    QVERIFY(contents);
    QCOMPARE(contents->pending, QList<JournalEntry>{entry(0)});
    QCOMPARE(contents->validBytes, WriteJournal::header().size() + WriteJournal::writeRecord(entry(0)).size());
    QCOMPARE(contents->records, 1);
}

void tst_WriteJournal::notAJournal_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("why");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("not a write journal");
    QTest::newRow("a cache file") << QByteArray("AIOCACHE\x01\0\0\0", 12) << QStringLiteral("not a write journal");
    QTest::newRow("the magic alone") << QByteArray("AIOWRITE") << QStringLiteral("not a write journal");
    QByteArray v2 = WriteJournal::header();
    qToLittleEndian(quint32(2), v2.data() + 8);
    QTest::newRow("version 2") << v2 << QStringLiteral("write journal format 2, this library reads 1");
}

void tst_WriteJournal::notAJournal()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, why);
    QString said;
    QVERIFY(!WriteJournal::parse(file, &said));
    QCOMPARE(said, why);
}

void tst_WriteJournal::foreignFileIsKeptAside()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("writes.journal"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not mine");
    f.close();
    QString why;
    WriteJournal journal;
    QVERIFY(journal.open(path, &why));
    QVERIFY(journal.pending().isEmpty());
    QCOMPARE(readAll(path + QLatin1String(".damaged")), QByteArray("not mine"));
    QCOMPARE(readAll(path), WriteJournal::header());
}

QTEST_GUILESS_MAIN(tst_WriteJournal)
#include "tst_writejournal.moc"
