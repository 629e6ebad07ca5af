#pragma once

// Internal to the client library: not installed, not exported.

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonValue>
#include <QString>
#include <QVariant>

namespace Aiodata::Internal {

// One row of a TableModel in one allocation: per column a tag byte and the
// value, strings as UTF-8 with their length. A QList<QVariant> row costs
// about 340 bytes for the benchmark's 100 bytes of JSON (a 32-byte QVariant
// per cell plus a heap block per string); this costs the encoded values and
// one QByteArray (docs/performance.md, figure 7). Tables are narrow, so a
// cell is found by scanning the ones before it rather than by an offset table.
//
// Cells decode to the QVariant types QJsonValue::toVariant() gives: qlonglong
// for integral numbers, double, bool, QString, QVariantMap/QVariantList for
// objects/arrays (kept as compact JSON text), QVariant::fromValue(nullptr)
// for null. A missing cell (a column an event left out) is an invalid QVariant.
class PackedRow
{
public:
    enum Tag : quint8 {
        Missing,
        Null,
        False,
        True,
        Int32,   // 4 bytes: integers that fit, most keys
        Int64,   // 8 bytes
        Double,  // 8 bytes
        String,  // varint length + UTF-8
        String16, // varint length + UTF-16: a string with a lone surrogate, which UTF-8 cannot hold
        Json,    // varint length + compact JSON text of an object or array
    };

    // One cell, decoded just enough to compare it.
    struct Cell
    {
        Tag tag = Missing;
        qint64 integer = 0;         // Int32, Int64
        const char *data = nullptr; // Double, String, String16, Json: the payload
        qsizetype size = 0;
        const char *raw = nullptr;  // the whole encoding, tag included
        qsizetype rawSize = 0;

        bool isNull() const { return tag <= Null; } // missing counts as null, as an invalid QVariant did
        bool isInteger() const { return tag == Int32 || tag == Int64; }
        QVariant toVariant() const;
    };

    PackedRow() = default;
    explicit PackedRow(const QByteArray &bytes) : m_bytes(bytes) {}

    const QByteArray &bytes() const { return m_bytes; }
    bool operator==(const PackedRow &other) const { return m_bytes == other.m_bytes; }

    // column must be below the column count the row was built with.
    Cell cell(int column) const;
    // Walking all cells in order: p starts at bytes().constData().
    static Cell readCell(const char *&p);
    QVariant value(int column) const { return cell(column).toVariant(); }
    bool hasMissing(int columns) const;
    // Whether bytes from outside (a cache file) are a row of exactly columns
    // cells that readCell() and compare() may walk: tags known, lengths in
    // bounds, strings valid UTF-8. Rows built by append*() always are.
    static bool isWellFormed(QByteArrayView bytes, int columns);

    // Key order and change detection on cells; the same results as
    // compareValues() and sameValue() on the decoded values, but the usual
    // types (integers, strings, bools, null) are compared without decoding.
    static int compare(const Cell &a, const Cell &b);
    static bool same(const Cell &a, const Cell &b);
    // Total order for key values: null first, then by JSON kind (bool,
    // number, string, array, object), numbers by value, arrays and objects
    // element by element.
    static int compareValues(const QVariant &a, const QVariant &b);
    // Cell equality: stricter than the key order (no string fallback), so
    // "2" replacing 2 is reported as a change.
    static bool sameValue(const QVariant &a, const QVariant &b);

    // Building a row: append one cell per column, in column order.
    static void appendMissing(QByteArray &out) { out.append(char(Missing)); }
    static void appendNull(QByteArray &out) { out.append(char(Null)); }
    static void appendBool(QByteArray &out, bool value) { out.append(char(value ? True : False)); }
    static void appendInteger(QByteArray &out, qint64 value);
    static void appendDouble(QByteArray &out, double value);
    static void appendString(QByteArray &out, QByteArrayView utf8); // must be valid UTF-8
    static void appendString(QByteArray &out, const QString &value);
    static void appendJson(QByteArray &out, QByteArrayView compactJson);
    static void appendJsonValue(QByteArray &out, const QJsonValue &value); // undefined: missing
    static void appendCell(QByteArray &out, const Cell &cell) { out.append(cell.raw, cell.rawSize); }

private:
    QByteArray m_bytes;
};

} // namespace Aiodata::Internal
