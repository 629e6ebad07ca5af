#include "packedrow.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstring>
#include <limits>

namespace Aiodata::Internal {

namespace {

// QByteArray::append(const char *, qsizetype) goes through insert(), whose
// checks cost more than the copy for a cell's few bytes; a snapshot of 100k
// rows makes half a million of these (docs/performance.md, figure 6).
void appendBytes(QByteArray &out, const void *data, qsizetype size)
{
    const qsizetype at = out.size();
    out.resize(at + size);
    std::memcpy(out.data() + at, data, size_t(size));
}

void appendLength(QByteArray &out, quint64 n)
{
    // LEB128: one byte for the usual short strings.
    while (n >= 0x80) {
        out.append(char(n | 0x80));
        n >>= 7;
    }
    out.append(char(n));
}

quint64 readLength(const char *&p)
{
    quint64 n = 0;
    int shift = 0;
    uchar byte;
    do {
        byte = uchar(*p++);
        n |= quint64(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    return n;
}

// The code point at p (valid UTF-8) as the UTF-16 code units QString
// compares, high unit first: BMP code points sort below the surrogate pairs
// of higher ones only when they are below U+D800.
quint32 utf16Key(const uchar *p)
{
    char32_t c;
    if (p[0] < 0x80)
        c = p[0];
    else if (p[0] < 0xE0)
        c = (char32_t(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
    else if (p[0] < 0xF0)
        c = (char32_t(p[0] & 0x0f) << 12) | (char32_t(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    else
        c = (char32_t(p[0] & 0x07) << 18) | (char32_t(p[1] & 0x3f) << 12) | (char32_t(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
    if (c < 0x10000)
        return quint32(c) << 16;
    c -= 0x10000;
    return (quint32(0xD800 + (c >> 10)) << 16) | quint32(0xDC00 + (c & 0x3ff));
}

// QString::compare() order (UTF-16 code units) on UTF-8: byte order is code
// point order, which differs only where the first difference is between a
// code point at or above U+E000 and one above U+FFFF.
int compareUtf8(const char *a, qsizetype aSize, const char *b, qsizetype bSize)
{
    const qsizetype n = std::min(aSize, bSize);
    qsizetype i = 0;
    while (i < n && a[i] == b[i])
        ++i;
    if (i == n)
        return int(aSize > bSize) - int(aSize < bSize);
    // Both continue the same lead byte or start a code point here.
    while (i > 0 && (uchar(a[i]) & 0xc0) == 0x80)
        --i;
    const quint32 x = utf16Key(reinterpret_cast<const uchar *>(a + i));
    const quint32 y = utf16Key(reinterpret_cast<const uchar *>(b + i));
    return int(x > y) - int(x < y);
}

bool hasLoneSurrogate(const QString &s)
{
    const QChar *c = s.constData();
    const qsizetype n = s.size();
    for (qsizetype i = 0; i < n; ++i) {
        if (!c[i].isSurrogate())
            continue;
        if (c[i].isHighSurrogate() && i + 1 < n && c[i + 1].isLowSurrogate())
            ++i;
        else
            return true;
    }
    return false;
}

bool isNullValue(const QVariant &value)
{
    return !value.isValid() || value.isNull();
}

enum KeyKind { KindBool, KindNumber, KindString, KindArray, KindObject, KindOther };

int kindRank(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Bool:
        return KindBool;
    case QMetaType::LongLong:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
    case QMetaType::Double:
        return KindNumber;
    case QMetaType::QString:
        return KindString;
    case QMetaType::QVariantList:
        return KindArray;
    case QMetaType::QVariantMap:
        return KindObject;
    default:
        return KindOther;
    }
}

long double numberOf(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::LongLong:
    case QMetaType::Int:
        return static_cast<long double>(v.toLongLong());
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        return static_cast<long double>(v.toULongLong());
    default:
        return static_cast<long double>(v.toDouble());
    }
}

} // namespace

QVariant PackedRow::Cell::toVariant() const
{
    switch (tag) {
    case Missing:
        return QVariant();
    case Null:
        return QVariant::fromValue(nullptr);
    case False:
        return false;
    case True:
        return true;
    case Int32:
    case Int64:
        return qlonglong(integer);
    case Double: {
        double d;
        std::memcpy(&d, data, sizeof d);
        return d;
    }
    case String:
        return QString::fromUtf8(data, size);
    case String16: {
        QString s(size / 2, Qt::Uninitialized);
        std::memcpy(s.data(), data, size);
        return s;
    }
    case Json: {
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromRawData(data, size));
        return doc.isArray() ? QVariant(doc.array().toVariantList()) : QVariant(doc.object().toVariantMap());
    }
    }
    return QVariant();
}

PackedRow::Cell PackedRow::readCell(const char *&p)
{
    Cell c;
    c.raw = p;
    c.tag = Tag(*p++);
    switch (c.tag) {
    case Missing:
    case Null:
    case False:
    case True:
        break;
    case Int32: {
        qint32 v;
        std::memcpy(&v, p, sizeof v);
        c.integer = v;
        p += sizeof v;
        break;
    }
    case Int64:
        std::memcpy(&c.integer, p, sizeof c.integer);
        p += sizeof c.integer;
        break;
    case Double:
        c.data = p;
        c.size = sizeof(double);
        p += sizeof(double);
        break;
    case String:
    case String16:
    case Json:
        c.size = qsizetype(readLength(p));
        c.data = p;
        p += c.size;
        break;
    }
    c.rawSize = p - c.raw;
    return c;
}

// Most text is ASCII, and then valid UTF-8: checked 8 bytes at a time,
// without Qt's out-of-line validator (a 1M-row cache opens 15% faster).
static bool isAscii(const char *p, qsizetype size)
{
    quint64 bits = 0;
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, p + i, 8);
        bits |= word;
    }
    for (; i < size; ++i)
        bits |= uchar(p[i]);
    return (bits & 0x8080808080808080ull) == 0;
}

bool PackedRow::isWellFormed(QByteArrayView bytes, int columns)
{
    const char *p = bytes.data();
    const char *end = p + bytes.size();
    for (int i = 0; i < columns; ++i) {
        if (p == end)
            return false;
        const Tag tag = Tag(*p++);
        qsizetype size = 0;
        switch (tag) {
        case Missing:
        case Null:
        case False:
        case True:
            break;
        case Int32:
            size = 4;
            break;
        case Int64:
        case Double:
            size = 8;
            break;
        case String:
        case String16:
        case Json: {
            // readLength() without its trust: at most 9 bytes of 7 bits.
            quint64 n = 0;
            int shift = 0;
            uchar byte;
            do {
                if (p == end || shift > 56)
                    return false;
                byte = uchar(*p++);
                n |= quint64(byte & 0x7f) << shift;
                shift += 7;
            } while (byte & 0x80);
            if (n > quint64(end - p))
                return false;
            size = qsizetype(n);
            if (tag == String && !isAscii(p, size) && !QByteArrayView(p, size).isValidUtf8())
                return false;
            if (tag == String16 && size % 2)
                return false;
            break;
        }
        default:
            return false;
        }
        if (size > end - p)
            return false;
        p += size;
    }
    return p == end;
}

PackedRow::Cell PackedRow::cell(int column) const
{
    const char *p = m_bytes.constData();
    for (int i = 0; i < column; ++i)
        readCell(p);
    return readCell(p);
}

bool PackedRow::hasMissing(int columns) const
{
    const char *p = m_bytes.constData();
    for (int i = 0; i < columns; ++i) {
        if (readCell(p).tag == Missing)
            return true;
    }
    return false;
}

int PackedRow::compare(const Cell &a, const Cell &b)
{
    const bool aNull = a.isNull();
    const bool bNull = b.isNull();
    if (aNull || bNull)
        return int(bNull) - int(aNull);
    if (a.isInteger() && b.isInteger())
        return int(a.integer > b.integer) - int(a.integer < b.integer);
    if (a.tag == String && b.tag == String)
        return compareUtf8(a.data, a.size, b.data, b.size);
    return compareValues(a.toVariant(), b.toVariant());
}

bool PackedRow::same(const Cell &a, const Cell &b)
{
    const bool aNull = a.isNull();
    const bool bNull = b.isNull();
    if (aNull || bNull)
        return aNull == bNull;
    if (a.isInteger() && b.isInteger())
        return a.integer == b.integer;
    if (a.tag <= True && b.tag <= True)
        return a.tag == b.tag;
    // Valid UTF-8 is unique, so equal strings have equal bytes.
    if (a.tag == String && b.tag == String)
        return a.size == b.size && std::memcmp(a.data, b.data, size_t(a.size)) == 0;
    return sameValue(a.toVariant(), b.toVariant());
}

int PackedRow::compareValues(const QVariant &a, const QVariant &b)
{
    const bool aNull = isNullValue(a);
    const bool bNull = isNullValue(b);
    if (aNull || bNull)
        return int(bNull) - int(aNull);
    // The usual key types compared directly: QVariant::compare() goes
    // through the meta-type system (docs/performance.md).
    const int type = a.typeId();
    if (type == b.typeId()) {
        switch (type) {
        case QMetaType::LongLong: {
            const qlonglong x = *static_cast<const qlonglong *>(a.constData());
            const qlonglong y = *static_cast<const qlonglong *>(b.constData());
            return int(x > y) - int(x < y);
        }
        case QMetaType::QString: {
            const int c = static_cast<const QString *>(a.constData())->compare(*static_cast<const QString *>(b.constData()));
            return int(c > 0) - int(c < 0);
        }
        default:
            break;
        }
    }
    // Any other pair: by JSON kind first, so that the order stays total
    // and transitive even when one key column holds several kinds (a jsonb
    // key, or a misbehaving server).
    const int kindA = kindRank(a);
    const int kindB = kindRank(b);
    if (kindA != kindB)
        return int(kindA > kindB) - int(kindA < kindB);
    switch (kindA) {
    case KindBool:
        return int(a.toBool()) - int(b.toBool());
    case KindNumber: {
        // long double holds every qint64 and every double exactly.
        const long double x = numberOf(a);
        const long double y = numberOf(b);
        return int(x > y) - int(x < y);
    }
    case KindString: {
        const int c = a.toString().compare(b.toString());
        return int(c > 0) - int(c < 0);
    }
    case KindArray: {
        const QVariantList x = a.toList();
        const QVariantList y = b.toList();
        for (qsizetype i = 0; i < x.size() && i < y.size(); ++i) {
            if (const int c = compareValues(x.at(i), y.at(i)))
                return c;
        }
        return int(x.size() > y.size()) - int(x.size() < y.size());
    }
    case KindObject: {
        // QVariantMap iterates in key order: compare as sorted (key, value) lists.
        const QVariantMap x = a.toMap();
        const QVariantMap y = b.toMap();
        auto i = x.cbegin();
        auto j = y.cbegin();
        for (; i != x.cend() && j != y.cend(); ++i, ++j) {
            if (const int c = i.key().compare(j.key()))
                return int(c > 0) - int(c < 0);
            if (const int c = compareValues(i.value(), j.value()))
                return c;
        }
        return int(i != x.cend()) - int(j != y.cend());
    }
    default: {
        const QPartialOrdering order = QVariant::compare(a, b);
        if (order == QPartialOrdering::Less)
            return -1;
        if (order == QPartialOrdering::Greater)
            return 1;
        if (order == QPartialOrdering::Equivalent)
            return 0;
        const int c = a.toString().compare(b.toString());
        return int(c > 0) - int(c < 0);
    }
    }
}

bool PackedRow::sameValue(const QVariant &a, const QVariant &b)
{
    const bool aNull = isNullValue(a);
    const bool bNull = isNullValue(b);
    if (aNull || bNull)
        return aNull == bNull;
    const int type = a.typeId();
    if (type == b.typeId()) {
        switch (type) {
        case QMetaType::LongLong:
            return *static_cast<const qlonglong *>(a.constData()) == *static_cast<const qlonglong *>(b.constData());
        case QMetaType::Bool:
            return *static_cast<const bool *>(a.constData()) == *static_cast<const bool *>(b.constData());
        case QMetaType::QString:
            return *static_cast<const QString *>(a.constData()) == *static_cast<const QString *>(b.constData());
        default:
            break;
        }
    }
    return a == b;
}

void PackedRow::appendInteger(QByteArray &out, qint64 value)
{
    if (value >= std::numeric_limits<qint32>::min() && value <= std::numeric_limits<qint32>::max()) {
        const qint32 v = qint32(value);
        out.append(char(Int32));
        appendBytes(out, &v, sizeof v);
    } else {
        out.append(char(Int64));
        appendBytes(out, &value, sizeof value);
    }
}

void PackedRow::appendDouble(QByteArray &out, double value)
{
    out.append(char(Double));
    appendBytes(out, &value, sizeof value);
}

void PackedRow::appendString(QByteArray &out, QByteArrayView utf8)
{
    out.append(char(String));
    appendLength(out, quint64(utf8.size()));
    appendBytes(out, utf8.data(), utf8.size());
}

void PackedRow::appendString(QByteArray &out, const QString &value)
{
    if (!hasLoneSurrogate(value)) {
        appendString(out, QByteArrayView(value.toUtf8()));
        return;
    }
    // Rare (JSON may escape a lone surrogate): kept exactly, as QString had it.
    out.append(char(String16));
    appendLength(out, quint64(value.size()) * 2);
    out.append(reinterpret_cast<const char *>(value.constData()), value.size() * 2);
}

void PackedRow::appendJson(QByteArray &out, QByteArrayView compactJson)
{
    out.append(char(Json));
    appendLength(out, quint64(compactJson.size()));
    appendBytes(out, compactJson.data(), compactJson.size());
}

void PackedRow::appendJsonValue(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        appendNull(out);
        break;
    case QJsonValue::Bool:
        appendBool(out, value.toBool());
        break;
    case QJsonValue::Double: {
        // toVariant() tells integers (stored as such by the parser) from doubles.
        const QVariant v = value.toVariant();
        if (v.typeId() == QMetaType::LongLong)
            appendInteger(out, v.toLongLong());
        else
            appendDouble(out, v.toDouble());
        break;
    }
    case QJsonValue::String:
        appendString(out, value.toString());
        break;
    case QJsonValue::Array:
        appendJson(out, QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
        break;
    case QJsonValue::Object:
        appendJson(out, QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
        break;
    case QJsonValue::Undefined:
        appendMissing(out);
        break;
    }
}

} // namespace Aiodata::Internal
