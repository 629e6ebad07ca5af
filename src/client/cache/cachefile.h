#pragma once

// Internal to the client library: not installed, not exported.

#include "packedrow.h"

#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

class QIODevice;

namespace Aiodata::Internal {

// What a table's cache file says about its rows: whose they are (server,
// role, schema), the table's description in GET / (its columns decide how
// the rows are read), and the stream position they are consistent with.
struct CacheHeader
{
    QString url;
    QString role;
    QString schema;
    QJsonObject table;          // the table's object in GET /
    QString epoch;              // the server's stream identity (hello)
    quint64 seq = 0;            // every transaction up to here is in the rows
    // The rows may also hold later transactions (a snapshot's, as the
    // Aiodata-Snapshot header gave it): those are skipped when replayed.
    QByteArray snapshot;

    QString tableName() const;
    int columnCount() const;
};

// One table's rows on disk, packed as in memory (PackedRow), so reading is
// a copy per row and no parsing of values (docs/cache.md, bench 12):
//
//   "AIOCACHE"  u32 format version  u32 n  n bytes of header JSON
//   u64 row count  per row: LEB128 length + the row's bytes
//   u64 XXH3-64 (libxxhash) of everything before it: a fifth of CRC-32's cost
//
// Integers little-endian. A file of another version, truncated, or whose
// checksum or any row does not check is refused as a whole.
class CacheFile
{
public:
    static constexpr quint32 FormatVersion = 1;

    // Streams the file to out; false if out refused a write.
    static bool write(QIODevice &out, const CacheHeader &header, const QList<PackedRow> &rows);

    struct Contents
    {
        CacheHeader header;
        QList<PackedRow> rows;
    };
    // The file's contents, or nullopt with why (for the warning).
    static std::optional<Contents> read(QByteArrayView file, QString *why);
};

} // namespace Aiodata::Internal
