// The cache's file format (src/client/cache/cachefile.h) and its store
// (cachestore.h): a file reads back as written, and any damage, truncation,
// other version or foreign file is refused as a whole, never read as rows.

#include "cache/cachefile.h"
#include "cache/cachestore.h"
#include "packedrow.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <xxhash.h>

using namespace Aiodata::Internal;

namespace {

const char PetsJson[] = R"({"name": "pets", "primaryKey": ["type", "name"],
  "columns": [{"name": "type", "type": "text", "primaryKey": 1}, {"name": "name", "type": "text", "primaryKey": 2},
              {"name": "age", "type": "integer"}, {"name": "weight", "type": "float8"},
              {"name": "groomed", "type": "boolean"}, {"name": "tags", "type": "jsonb"}]})";

CacheHeader petsHeader()
{
    CacheHeader h;
    h.url = QStringLiteral("http://127.0.0.1:4000");
    h.role = QStringLiteral("alice");
    h.schema = QStringLiteral("api");
    h.table = QJsonDocument::fromJson(PetsJson).object();
    h.epoch = QStringLiteral("pg_7312345678901234567_1_16384");
    h.seq = 18446744073709551000ull; // beyond a double's exact integers
    h.snapshot = "791:795:792,793";
    return h;
}

PackedRow row(const QString &type, const QString &name, qint64 age, double weight, bool groomed, const QByteArray &tags)
{
    QByteArray b;
    PackedRow::appendString(b, type);
    PackedRow::appendString(b, name);
    PackedRow::appendInteger(b, age);
    PackedRow::appendDouble(b, weight);
    PackedRow::appendBool(b, groomed);
    PackedRow::appendJson(b, tags);
    return PackedRow(b);
}

QList<PackedRow> petsRows()
{
    QList<PackedRow> rows{row(QStringLiteral("Cat"), QStringLiteral("Ruby"), 3, 4.5, true, "[\"calm\"]"),
                          row(QStringLiteral("Dog"), QStringLiteral("Bé😀"), 5000000000, -0.25, false, "{}")};
    QByteArray odd; // null, missing, a lone surrogate (String16)
    PackedRow::appendString(odd, QStringLiteral("Fish"));
    PackedRow::appendString(odd, QString(QChar(0xD800)));
    PackedRow::appendNull(odd);
    PackedRow::appendMissing(odd);
    PackedRow::appendNull(odd);
    PackedRow::appendNull(odd);
    rows.append(PackedRow(odd));
    return rows;
}

QByteArray encode(const CacheHeader &header, const QList<PackedRow> &rows)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    if (!CacheFile::write(buffer, header, rows))
        return {};
    return buffer.data();
}

// The file with its checksum made right again: what the reader then
// refuses, it refuses for what is inside.
QByteArray withChecksum(QByteArray file)
{
    const qsizetype body = file.size() - 8;
    const quint64 sum = qToLittleEndian(quint64(XXH3_64bits(file.constData(), size_t(body))));
    std::memcpy(file.data() + body, &sum, 8);
    return file;
}

// Offset of the first row's length byte.
qsizetype firstRowAt(const QByteArray &file)
{
    quint32 headerSize;
    std::memcpy(&headerSize, file.constData() + 12, 4);
    return 16 + qsizetype(qFromLittleEndian(headerSize)) + 8;
}

} // namespace

class TestCacheFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void everyTruncationRefused();
    void everyFlippedBitRefused();
    void refused_data();
    void refused();
    void wellFormed_data();
    void wellFormed();

    void storeSavesAndLoads();
    void storeDiscardsDamagedAndForeign();
    void storeIdentities();
};

void TestCacheFile::roundTrip_data()
{
    QTest::addColumn<int>("rowCount");
    QTest::newRow("empty table") << 0;
    QTest::newRow("every cell kind") << 3;
}

void TestCacheFile::roundTrip()
{
    QFETCH(int, rowCount);
    const QList<PackedRow> rows = petsRows().first(rowCount);
    const QByteArray file = encode(petsHeader(), rows);
    QVERIFY(!file.isEmpty());
    QString why;
    const auto contents = CacheFile::read(file, &why);
    QVERIFY2(contents, qPrintable(why));
    const CacheHeader &h = contents->header;
    QCOMPARE(h.url, petsHeader().url);
    QCOMPARE(h.role, QStringLiteral("alice"));
    QCOMPARE(h.schema, QStringLiteral("api"));
    QCOMPARE(h.table, petsHeader().table);
    QCOMPARE(h.epoch, petsHeader().epoch);
    QCOMPARE(h.seq, petsHeader().seq);
    QCOMPARE(h.snapshot, petsHeader().snapshot);
    QCOMPARE(contents->rows.size(), rows.size());
    for (qsizetype i = 0; i < rows.size(); ++i)
        QCOMPARE(contents->rows.at(i).bytes(), rows.at(i).bytes());
}

void TestCacheFile::everyTruncationRefused()
{
    const QByteArray file = encode(petsHeader(), petsRows());
    for (qsizetype size = 0; size < file.size(); ++size)
        QVERIFY2(!CacheFile::read(file.first(size), nullptr), qPrintable(QString::number(size)));
}

void TestCacheFile::everyFlippedBitRefused()
{
    // A 64-bit checksum: a flipped bit goes unseen once in 2^64.
    const QByteArray file = encode(petsHeader(), petsRows());
    for (qsizetype i = 0; i < file.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            QByteArray damaged = file;
            damaged[i] = char(damaged.at(i) ^ (1 << bit));
            QVERIFY2(!CacheFile::read(damaged, nullptr), qPrintable(QStringLiteral("byte %1 bit %2").arg(i).arg(bit)));
        }
    }
}

void TestCacheFile::refused_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("why");
    const QByteArray good = encode(petsHeader(), petsRows());
    const qsizetype rowAt = firstRowAt(good);

    QByteArray magic = good;
    magic[0] = 'X';
    QTest::newRow("other magic") << withChecksum(magic) << "not an aiodata cache file";
    QByteArray version = good;
    version[8] = char(2);
    QTest::newRow("other version") << withChecksum(version) << "another format version";
    QByteArray crc = good;
    crc[crc.size() - 1] = char(crc.at(crc.size() - 1) ^ 1);
    QTest::newRow("checksum") << crc << "checksum mismatch (damaged or truncated)";

    QByteArray count = good;
    count[rowAt - 8] = char(4); // four rows said, three there
    QTest::newRow("row count too high") << withChecksum(count) << "truncated row";
    QByteArray huge = good;
    std::memset(huge.data() + rowAt - 8, 0x7f, 8);
    QTest::newRow("row count absurd") << withChecksum(huge) << "bad row count";
    QByteArray fewer = good;
    fewer[rowAt - 8] = char(2);
    QTest::newRow("trailing bytes") << withChecksum(fewer) << "trailing bytes";

    QByteArray tag = good;
    tag[rowAt + 1] = char(42); // the first cell's tag
    QTest::newRow("unknown tag") << withChecksum(tag) << "malformed row";
    QByteArray utf8 = good;
    utf8[rowAt + 3] = char(0xff); // inside "Cat"
    QTest::newRow("invalid UTF-8") << withChecksum(utf8) << "malformed row";
    QByteArray length = good;
    length[rowAt + 2] = char(100); // "Cat" said to be 100 bytes
    QTest::newRow("cell past the row") << withChecksum(length) << "malformed row";

    CacheHeader noEpoch = petsHeader();
    noEpoch.epoch.clear();
    QTest::newRow("header without epoch") << encode(noEpoch, petsRows()) << "unreadable header";
    CacheHeader fewerColumns = petsHeader();
    QJsonArray columns = fewerColumns.table.value(QLatin1String("columns")).toArray();
    columns.removeLast();
    fewerColumns.table.insert(QLatin1String("columns"), columns);
    QTest::newRow("rows of another width") << encode(fewerColumns, petsRows()) << "malformed row";
}

void TestCacheFile::refused()
{
    QFETCH(QByteArray, file);
    QFETCH(QString, why);
    QString said;
    QVERIFY(!CacheFile::read(file, &said));
    QCOMPARE(said, why);
}

void TestCacheFile::wellFormed_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("columns");
    QTest::addColumn<bool>("ok");
    QByteArray s;
    PackedRow::appendString(s, QStringLiteral("é"));
    QTest::newRow("string") << s << 1 << true;
    QTest::newRow("string, two columns said") << s << 2 << false;
    QTest::newRow("empty, no columns") << QByteArray() << 0 << true;
    QTest::newRow("empty, one column") << QByteArray() << 1 << false;
    QTest::newRow("int32 cut") << QByteArray("\x04\x01\x02", 3) << 1 << false;
    QTest::newRow("int64") << QByteArray("\x05\x01\x02\x03\x04\x05\x06\x07\x08", 9) << 1 << true;
    QTest::newRow("string16 odd length") << QByteArray("\x08\x03\x41\x00\x42", 5) << 1 << false;
    QTest::newRow("length of 10 bytes") << QByteArray("\x07\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11) << 1 << false;
    QTest::newRow("overlong UTF-8") << QByteArray("\x07\x02\xc0\xaf", 4) << 1 << false;
    QTest::newRow("lone surrogate in UTF-8") << QByteArray("\x07\x03\xed\xa0\x80", 5) << 1 << false;
}

void TestCacheFile::wellFormed()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, columns);
    QFETCH(bool, ok);
    QCOMPARE(PackedRow::isWellFormed(bytes, columns), ok);
}

static CacheStore::Loaded loadAll(CacheStore &store, const CacheIdentity &identity)
{
    QObject context;
    std::optional<CacheStore::Loaded> result;
    store.load(identity, &context, [&result](CacheStore::Loaded loaded) { result = std::move(loaded); });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, 5000))
        return {};
    return *result;
}

void TestCacheFile::storeSavesAndLoads()
{
    QTemporaryDir dir;
    CacheStore store(dir.path() + QLatin1String("/cache")); // made when first written
    const CacheHeader header = petsHeader();
    const CacheIdentity alice{header.url, header.role, header.schema};
    QVERIFY(loadAll(store, alice).tables.isEmpty());
    store.save(alice, header, petsRows());
    CacheHeader items = header;
    items.table.insert(QLatin1String("name"), QStringLiteral("Items"));
    store.save(alice, items, {});
    store.waitForDone();
    const CacheStore::Loaded loaded = loadAll(store, alice);
    QCOMPARE(loaded.discarded, QStringList());
    QCOMPARE(loaded.tables.size(), 2);
    QStringList names;
    for (const CacheFile::Contents &t : loaded.tables)
        names.append(t.header.tableName() + QLatin1Char('=') + QString::number(t.rows.size()));
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("Items=0"), QStringLiteral("pets=3")}));
    // Another role's partition is another folder: nothing of alice's.
    QVERIFY(loadAll(store, CacheIdentity{header.url, QStringLiteral("bob"), header.schema}).tables.isEmpty());
    QVERIFY(loadAll(store, CacheIdentity{header.url, header.role, QStringLiteral("other")}).tables.isEmpty());
    store.remove(alice, QStringLiteral("Items"));
    QCOMPARE(loadAll(store, alice).tables.size(), 1);
}

void TestCacheFile::storeDiscardsDamagedAndForeign()
{
    QTemporaryDir dir;
    CacheStore store(dir.path());
    const CacheHeader header = petsHeader();
    const CacheIdentity alice{header.url, header.role, header.schema};
    const CacheIdentity bob{header.url, QStringLiteral("bob"), header.schema};
    store.save(alice, header, petsRows());
    store.waitForDone();
    const QString alicePets = store.tablePath(alice, QStringLiteral("pets"));
    const QString bobPets = store.tablePath(bob, QStringLiteral("pets"));

    // alice's file under bob's name: its header says whose it is.
    QVERIFY(QDir().mkpath(QFileInfo(bobPets).path()));
    QVERIFY(QFile::copy(alicePets, bobPets));
    CacheStore::Loaded loaded = loadAll(store, bob);
    QVERIFY(loaded.tables.isEmpty());
    QCOMPARE(loaded.discarded.size(), 1);
    QVERIFY2(loaded.discarded.first().contains(QLatin1String("another server, role or table")), qPrintable(loaded.discarded.first()));
    QVERIFY(!QFile::exists(bobPets));

    // A damaged file goes (and the table is fetched again by the client).
    QFile file(alicePets);
    QVERIFY(file.open(QIODevice::ReadWrite));
    file.seek(file.size() / 2);
    file.write("garbage");
    file.close();
    loaded = loadAll(store, alice);
    QVERIFY(loaded.tables.isEmpty());
    QCOMPARE(loaded.discarded.size(), 1);
    QVERIFY2(loaded.discarded.first().contains(QLatin1String("checksum")), qPrintable(loaded.discarded.first()));
    QVERIFY(!QFile::exists(alicePets));

    // An empty file (a crash before the first write of a file system without atomic rename) too.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.close();
    loaded = loadAll(store, alice);
    QCOMPARE(loaded.discarded.size(), 1);
    QVERIFY(loaded.tables.isEmpty());
}

void TestCacheFile::storeIdentities()
{
    QTemporaryDir dir;
    const QString url = QStringLiteral("http://127.0.0.1:4000");
    {
        CacheStore store(dir.path());
        QVERIFY(!store.identityOf(url, QStringLiteral("t1")));
        store.remember(QStringLiteral("t1"), CacheIdentity{url, QStringLiteral("alice"), QStringLiteral("api")});
        store.remember(QString(), CacheIdentity{url, QStringLiteral("anon"), QStringLiteral("api")});
    }
    CacheStore store(dir.path()); // read back from the file
    QCOMPARE(store.identityOf(url, QStringLiteral("t1")), (CacheIdentity{url, QStringLiteral("alice"), QStringLiteral("api")}));
    QCOMPARE(store.identityOf(url, QString()), (CacheIdentity{url, QStringLiteral("anon"), QStringLiteral("api")}));
    QVERIFY(!store.identityOf(QStringLiteral("http://other:4000"), QStringLiteral("t1"))); // per server
    QVERIFY(!store.identityOf(url, QStringLiteral("t2")));
    // The token is not written down.
    QFile file(dir.path() + QLatin1String("/identities.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains("t1\""));
    // The server gives the same token another role: the new one counts.
    store.remember(QStringLiteral("t1"), CacheIdentity{url, QStringLiteral("bob"), QStringLiteral("api")});
    QCOMPARE(store.identityOf(url, QStringLiteral("t1"))->role, QStringLiteral("bob"));
    // Bounded: the oldest tokens are forgotten.
    for (int i = 0; i < 100; ++i)
        store.remember(QStringLiteral("many%1").arg(i), CacheIdentity{url, QStringLiteral("r"), QStringLiteral("api")});
    QVERIFY(!store.identityOf(url, QStringLiteral("t1")));
    QVERIFY(store.identityOf(url, QStringLiteral("many99")));
}

QTEST_GUILESS_MAIN(TestCacheFile)
#include "tst_cachefile.moc"
