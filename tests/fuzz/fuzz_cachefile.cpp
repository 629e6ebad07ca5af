// The cache file reader (src/client/cache/cachefile.h): the bytes of a file
// in the cache folder, which anything may have written or damaged.
//
// Input: the file. It is read twice: as is (almost always refused by its
// checksum), and with its last eight bytes replaced by the right XXH3-64, so
// that the fuzzer explores what lies behind the checksum (the seeds in
// corpus/fuzz_cachefile end in zeros for that reason).
//
// Invariants: no crash or sanitizer report; a file read is made of rows of
// exactly the header's column count that the model can hold, sort and show
// (QAbstractItemModelTester watching); writing what was read gives a file
// that reads back the same.

#include "fuzzsupport.h"
#include "cache/cachefile.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "tableschema.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QtEndian>

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace Aiodata;

namespace {

void check(const QByteArray &file)
{
    QString why;
    const auto contents = Internal::CacheFile::read(file, &why);
    if (!contents) {
        FUZZ_CHECK(!why.isEmpty(), "refused without a reason");
        return;
    }
    const int columns = contents->header.columnCount();
    for (const Internal::PackedRow &row : contents->rows)
        FUZZ_CHECK(Internal::PackedRow::isWellFormed(row.bytes(), columns), "a malformed row was accepted");

    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    FUZZ_CHECK(Internal::CacheFile::write(buffer, contents->header, contents->rows), "write failed");
    const auto again = Internal::CacheFile::read(buffer.data(), &why);
    FUZZ_CHECK(again, "what was read does not read back: " + why.toUtf8());
    FUZZ_CHECK(again->rows.size() == contents->rows.size(), "row count differs after a round trip");
    for (qsizetype i = 0; i < again->rows.size(); ++i)
        FUZZ_CHECK(again->rows.at(i) == contents->rows.at(i), "row differs after a round trip");
    FUZZ_CHECK(again->header.seq == contents->header.seq && again->header.epoch == contents->header.epoch
                   && again->header.table == contents->header.table,
               "header differs after a round trip");

    // What Client does with it: the rows into a model of the header's table.
    const TableSchema schema = TableSchema::fromJson(contents->header.table);
    if (schema.columns.size() != columns)
        return; // Client would not take such a header either (the columns are not readable)
    TableModel model(schema);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
    QList<Internal::PackedRow> rows = contents->rows;
    TableModelPrivate::get(&model)->replaceRowsRead(std::move(rows));
    for (int row = 0; row < model.rowCount(); ++row) {
        for (int column = 0; column < model.columnCount(); ++column)
            (void)model.data(model.index(row, column));
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray file(reinterpret_cast<const char *>(data), qsizetype(size));
    check(file);
    if (file.size() >= 8) {
        const qsizetype body = file.size() - 8;
        const quint64 sum = qToLittleEndian(quint64(XXH3_64bits(file.constData(), size_t(body))));
        std::memcpy(file.data() + body, &sum, 8);
        check(file);
    }
    return 0;
}
