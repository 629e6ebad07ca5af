#include "cachefile.h"

#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>

#include <xxhash.h>

#include <cstring>

namespace Aiodata::Internal {

namespace {

constexpr char Magic[8] = {'A', 'I', 'O', 'C', 'A', 'C', 'H', 'E'};

// Little-endian fields and LEB128 lengths, into a buffer written in pieces
// so that a 1M-row table never needs a second copy in memory.
class Writer
{
public:
    explicit Writer(QIODevice &out) : m_out(out) { m_buffer.reserve(Chunk + 64); }

    void append(const char *data, qsizetype size)
    {
        m_buffer.append(data, size);
        if (m_buffer.size() >= Chunk)
            flush();
    }
    template <typename T> void appendLE(T value)
    {
        const T le = qToLittleEndian(value);
        append(reinterpret_cast<const char *>(&le), sizeof le);
    }
    void appendLength(quint64 n)
    {
        char bytes[10];
        int i = 0;
        while (n >= 0x80) {
            bytes[i++] = char(n | 0x80);
            n >>= 7;
        }
        bytes[i++] = char(n);
        append(bytes, i);
    }
    ~Writer() { XXH3_freeState(m_hash); }
    bool finish()
    {
        flush();
        const quint64 sum = qToLittleEndian(quint64(XXH3_64bits_digest(m_hash)));
        return m_ok && m_out.write(reinterpret_cast<const char *>(&sum), sizeof sum) == sizeof sum;
    }

private:
    static constexpr qsizetype Chunk = 1 << 20;
    void flush()
    {
        if (m_buffer.isEmpty())
            return;
        m_ok = m_ok && m_hash && XXH3_64bits_update(m_hash, m_buffer.constData(), size_t(m_buffer.size())) == XXH_OK;
        m_ok = m_ok && m_out.write(m_buffer) == m_buffer.size();
        m_buffer.resize(0);
    }

    QIODevice &m_out;
    QByteArray m_buffer;
    XXH3_state_t *m_hash = [] {
        XXH3_state_t *state = XXH3_createState();
        if (state)
            XXH3_64bits_reset(state);
        return state;
    }();
    bool m_ok = true;
};

// Bounds-checked reading of the same.
class Reader
{
public:
    explicit Reader(QByteArrayView bytes) : m_p(bytes.data()), m_end(bytes.data() + bytes.size()) {}

    qsizetype left() const { return m_end - m_p; }
    const char *take(qsizetype size)
    {
        if (size < 0 || size > left())
            return nullptr;
        const char *at = m_p;
        m_p += size;
        return at;
    }
    template <typename T> std::optional<T> takeLE()
    {
        const char *at = take(sizeof(T));
        if (!at)
            return std::nullopt;
        T value;
        std::memcpy(&value, at, sizeof value);
        return qFromLittleEndian(value);
    }
    std::optional<quint64> takeLength()
    {
        quint64 n = 0;
        for (int shift = 0; shift <= 63; shift += 7) {
            const char *at = take(1);
            if (!at)
                return std::nullopt;
            n |= quint64(uchar(*at) & 0x7f) << shift;
            if (!(uchar(*at) & 0x80))
                return n;
        }
        return std::nullopt;
    }

private:
    const char *m_p;
    const char *m_end;
};

QByteArray headerJson(const CacheHeader &h)
{
    QJsonObject o;
    o.insert(QLatin1String("url"), h.url);
    o.insert(QLatin1String("role"), h.role);
    o.insert(QLatin1String("schema"), h.schema);
    o.insert(QLatin1String("table"), h.table);
    o.insert(QLatin1String("epoch"), h.epoch);
    // A string: a seq (an LSN) may exceed a double's exact integers.
    o.insert(QLatin1String("seq"), QString::number(h.seq));
    if (!h.snapshot.isEmpty())
        o.insert(QLatin1String("snapshot"), QString::fromLatin1(h.snapshot));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<CacheHeader> parseHeader(QByteArrayView json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(json.data(), json.size()), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    const QJsonObject o = doc.object();
    CacheHeader h;
    h.url = o.value(QLatin1String("url")).toString();
    h.role = o.value(QLatin1String("role")).toString();
    h.schema = o.value(QLatin1String("schema")).toString();
    h.table = o.value(QLatin1String("table")).toObject();
    h.epoch = o.value(QLatin1String("epoch")).toString();
    bool ok = false;
    h.seq = o.value(QLatin1String("seq")).toString().toULongLong(&ok);
    h.snapshot = o.value(QLatin1String("snapshot")).toString().toLatin1();
    if (!ok || h.url.isEmpty() || h.tableName().isEmpty() || h.columnCount() == 0 || h.epoch.isEmpty())
        return std::nullopt;
    return h;
}

} // namespace

QString CacheHeader::tableName() const
{
    return table.value(QLatin1String("name")).toString();
}

int CacheHeader::columnCount() const
{
    return int(table.value(QLatin1String("columns")).toArray().size());
}

bool CacheFile::write(QIODevice &out, const CacheHeader &header, const QList<PackedRow> &rows)
{
    Writer w(out);
    w.append(Magic, sizeof Magic);
    w.appendLE<quint32>(FormatVersion);
    const QByteArray json = headerJson(header);
    w.appendLE<quint32>(quint32(json.size()));
    w.append(json.constData(), json.size());
    w.appendLE<quint64>(quint64(rows.size()));
    for (const PackedRow &row : rows) {
        w.appendLength(quint64(row.bytes().size()));
        w.append(row.bytes().constData(), row.bytes().size());
    }
    return w.finish();
}

std::optional<CacheFile::Contents> CacheFile::read(QByteArrayView file, QString *why)
{
    const auto refuse = [why](const char *reason) -> std::optional<Contents> {
        if (why)
            *why = QString::fromLatin1(reason);
        return std::nullopt;
    };
    if (file.size() < qsizetype(sizeof Magic) || std::memcmp(file.data(), Magic, sizeof Magic) != 0)
        return refuse("not an aiodata cache file");
    Reader r(file.sliced(sizeof Magic));
    const auto version = r.takeLE<quint32>();
    if (!version)
        return refuse("truncated");
    if (*version != FormatVersion)
        return refuse("another format version");
    if (file.size() < qsizetype(sizeof Magic) + 4 + qsizetype(sizeof(quint64)))
        return refuse("truncated");
    // The checksum first: nothing of a damaged file is believed.
    const QByteArrayView body = file.first(file.size() - qsizetype(sizeof(quint64)));
    quint64 stored;
    std::memcpy(&stored, file.data() + body.size(), sizeof stored);
    if (qFromLittleEndian(stored) != quint64(XXH3_64bits(body.data(), size_t(body.size()))))
        return refuse("checksum mismatch (damaged or truncated)");
    r = Reader(body.sliced(sizeof Magic + 4));
    const auto headerSize = r.takeLE<quint32>();
    const char *headerBytes = headerSize ? r.take(qsizetype(*headerSize)) : nullptr;
    if (!headerBytes)
        return refuse("truncated header");
    std::optional<CacheHeader> header = parseHeader(QByteArrayView(headerBytes, qsizetype(*headerSize)));
    if (!header)
        return refuse("unreadable header");
    const auto count = r.takeLE<quint64>();
    // Each row takes two bytes at least: a count beyond that is a lie.
    if (!count || *count > quint64(r.left()) / 2)
        return refuse("bad row count");
    Contents contents{std::move(*header), {}};
    const int columns = contents.header.columnCount();
    contents.rows.reserve(qsizetype(*count));
    for (quint64 i = 0; i < *count; ++i) {
        const auto size = r.takeLength();
        const char *bytes = size && *size <= quint64(r.left()) ? r.take(qsizetype(*size)) : nullptr;
        if (!bytes)
            return refuse("truncated row");
        const QByteArrayView row(bytes, qsizetype(*size));
        if (!PackedRow::isWellFormed(row, columns))
            return refuse("malformed row");
        contents.rows.append(PackedRow(QByteArray(row.data(), row.size())));
    }
    if (r.left() != 0)
        return refuse("trailing bytes");
    return contents;
}

} // namespace Aiodata::Internal
