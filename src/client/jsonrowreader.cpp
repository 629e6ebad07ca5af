#include "jsonrowreader.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

namespace Aiodata::Internal {

namespace {

// Deeper nesting in a cell is left to QJsonDocument (whose own limit counts
// the whole body).
constexpr int MaxCellDepth = 256;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Length of the valid UTF-8 sequence of a non-ASCII code point at p, 0 if
// invalid (overlong, surrogate, above U+10FFFF, truncated).
int utf8Length(const uchar *p, const uchar *end)
{
    const uchar c = p[0];
    int n;
    uchar low = 0x80;
    uchar high = 0xbf;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        n = 2;
    } else if (c < 0xf0) {
        n = 3;
        if (c == 0xe0)
            low = 0xa0;
        else if (c == 0xed)
            high = 0x9f;
    } else if (c < 0xf5) {
        n = 4;
        if (c == 0xf0)
            low = 0x90;
        else if (c == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    if (end - p < n || p[1] < low || p[1] > high)
        return 0;
    for (int i = 2; i < n; ++i) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return n;
}

void appendUtf8(QByteArray &out, char32_t c)
{
    if (c < 0x80) {
        out.append(char(c));
    } else if (c < 0x800) {
        out.append(char(0xc0 | (c >> 6)));
        out.append(char(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        out.append(char(0xe0 | (c >> 12)));
        out.append(char(0x80 | ((c >> 6) & 0x3f)));
        out.append(char(0x80 | (c & 0x3f)));
    } else {
        out.append(char(0xf0 | (c >> 18)));
        out.append(char(0x80 | ((c >> 12) & 0x3f)));
        out.append(char(0x80 | ((c >> 6) & 0x3f)));
        out.append(char(0x80 | (c & 0x3f)));
    }
}

} // namespace

JsonRowReader::JsonRowReader(const QStringList &columns)
{
    m_columns.reserve(columns.size());
    for (const QString &column : columns)
        m_columns.append(column.toUtf8());
    m_cellStart.resize(columns.size());
    m_cellEnd.resize(columns.size());
}

bool JsonRowReader::fail(const char *reason)
{
    m_error = QStringLiteral("offset %1: %2").arg(m_p - m_begin).arg(QLatin1String(reason));
    return false;
}

JsonRowReader::After JsonRowReader::afterItem(char close)
{
    skipSpace();
    if (m_p < m_end && *m_p == ',') {
        ++m_p;
        skipSpace();
        return After::More;
    }
    if (m_p < m_end && *m_p == close) {
        ++m_p;
        return After::Closed;
    }
    return After::Bad;
}

void JsonRowReader::skipSpace()
{
    while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
        ++m_p;
}

bool JsonRowReader::read(QByteArrayView json, QList<PackedRow> *rows)
{
    begin(json.size());
    const bool ok = feed(json, true);
    *rows = takeRows();
    return ok;
}

void JsonRowReader::begin(qsizetype expectedSize)
{
    m_state = State::Start;
    m_consumed = 0;
    m_retryAt = 0;
    m_failed = false;
    m_expectedSize = expectedSize;
    m_rows.clear();
    m_error.clear();
}

QList<PackedRow> JsonRowReader::takeRows()
{
    return std::exchange(m_rows, {});
}

bool JsonRowReader::feed(QByteArrayView received, bool complete)
{
    if (m_failed)
        return false;
    if (!complete && received.size() < m_retryAt)
        return true;
    m_begin = received.data();
    m_end = m_begin + received.size();
    m_p = m_begin + m_consumed;
    auto hardFail = [this](const char *reason) {
        m_failed = true;
        return fail(reason);
    };
    for (;;) {
        skipSpace();
        m_consumed = m_p - m_begin;
        if (m_p == m_end) {
            if (!complete)
                return true;
            if (m_state != State::Done)
                return hardFail(m_state == State::Start ? "not a JSON array" : "unterminated array");
            // Rows are about the same size: the list was reserved from an
            // estimate; more than an eighth spare goes back.
            if (m_rows.capacity() - m_rows.size() > m_rows.size() / 8)
                m_rows.squeeze();
            return true;
        }
        switch (m_state) {
        case State::Start:
            if (*m_p != '[')
                return hardFail("not a JSON array");
            ++m_p;
            m_state = State::First;
            break;
        case State::First:
            if (*m_p == ']') {
                ++m_p;
                m_state = State::Done;
                break;
            }
            m_state = State::Element;
            break;
        case State::Element: {
            if (*m_p != '{')
                return hardFail("an element is not an object");
            const char *start = m_p;
            if (!readObject(&m_rows)) {
                if (complete) {
                    m_failed = true; // with readObject's reason
                    return false;
                }
                // Not all here yet, or malformed (told once complete): read it
                // again once what is unread has doubled, so that a long
                // element is not read again for every piece.
                m_p = start;
                m_retryAt = received.size() + (m_end - start);
                return true;
            }
            // One allocation for the list, not a doubling series (the list
            // becomes the model's): the rest estimated from the first rows.
            if (m_rows.size() == 64) {
                const double total = double(qMax(m_expectedSize, received.size()));
                m_rows.reserve(qsizetype(total / double(m_p - m_begin) * 64 * 1.05) + 1);
            }
            m_state = State::Separator;
            break;
        }
        case State::Separator:
            if (*m_p == ',')
                m_state = State::Element;
            else if (*m_p == ']')
                m_state = State::Done;
            else
                return hardFail("expected , or ] after an element");
            ++m_p;
            break;
        case State::Done:
            return hardFail("garbage after the array");
        }
    }
}

bool JsonRowReader::readObject(QList<PackedRow> *rows)
{
    ++m_p; // {
    m_row.resize(0);
    std::fill(m_cellStart.begin(), m_cellStart.end(), -1);
    const int columns = int(m_columns.size());
    int next = 0;
    int present = 0;
    bool inOrder = true;
    skipSpace();
    if (m_p < m_end && *m_p == '}') {
        ++m_p;
    } else {
        for (;;) {
            if (m_p == m_end || *m_p != '"')
                return fail("expected a key");
            QByteArrayView key;
            if (!readString(&key))
                return false;
            skipSpace();
            if (m_p == m_end || *m_p != ':')
                return fail("expected : after a key");
            ++m_p;
            skipSpace();
            const int column = findColumn(key, next);
            if (column < 0) {
                m_skipped.resize(0);
                if (!readValue(m_skipped))
                    return false;
            } else {
                // QJsonDocument keeps one of the values; which one is its business.
                if (m_cellStart.at(column) >= 0)
                    return fail("duplicate key");
                inOrder = inOrder && column == next;
                m_cellStart[column] = m_row.size();
                if (!readValue(m_row))
                    return false;
                m_cellEnd[column] = m_row.size();
                next = column + 1;
                ++present;
            }
            const After after = afterItem('}');
            if (after == After::More)
                continue;
            if (after == After::Closed)
                break;
            return fail("expected , or } after a value");
        }
    }
    // One exact-size allocation per row: the scratch buffer's slack stays here.
    if (inOrder && present == columns) {
        rows->append(PackedRow(QByteArray(m_row.constData(), m_row.size())));
        return true;
    }
    QByteArray row;
    row.reserve(m_row.size() + columns);
    for (int i = 0; i < columns; ++i) {
        if (m_cellStart.at(i) < 0)
            PackedRow::appendNull(row);
        else
            row.append(m_row.constData() + m_cellStart.at(i), m_cellEnd.at(i) - m_cellStart.at(i));
    }
    row.squeeze();
    rows->append(PackedRow(row));
    return true;
}

int JsonRowReader::findColumn(QByteArrayView key, int expected) const
{
    // The server sends the columns in table order.
    if (expected < m_columns.size() && key == m_columns.at(expected))
        return expected;
    for (qsizetype i = 0; i < m_columns.size(); ++i) {
        if (key == m_columns.at(i))
            return int(i);
    }
    return -1;
}

bool JsonRowReader::readString(QByteArrayView *text)
{
    ++m_p; // "
    const char *start = m_p;
    // Without escapes (nearly always) the text is the body's own bytes.
    for (;;) {
        if (m_p == m_end)
            return fail("unterminated string");
        const uchar c = uchar(*m_p);
        if (c == '"') {
            *text = QByteArrayView(start, m_p - start);
            ++m_p;
            return true;
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            return fail("control character in a string");
        if (c < 0x80) {
            ++m_p;
            continue;
        }
        const int n = utf8Length(reinterpret_cast<const uchar *>(m_p), reinterpret_cast<const uchar *>(m_end));
        if (n == 0)
            return fail("invalid UTF-8");
        m_p += n;
    }
    // An escape: the text is decoded into the scratch buffer.
    QByteArray &out = m_string;
    out.resize(0);
    for (;;) {
        if (m_p == m_end)
            return fail("unterminated string");
        const uchar c = uchar(*m_p);
        if (c == '"') {
            out.append(start, m_p - start);
            ++m_p;
            *text = QByteArrayView(out);
            return true;
        }
        if (c < 0x20)
            return fail("control character in a string");
        if (c < 0x80 && c != '\\') {
            ++m_p;
            continue;
        }
        if (c >= 0x80) {
            const int n = utf8Length(reinterpret_cast<const uchar *>(m_p), reinterpret_cast<const uchar *>(m_end));
            if (n == 0)
                return fail("invalid UTF-8");
            m_p += n;
            continue;
        }
        // An escape.
        out.append(start, m_p - start);
        ++m_p;
        if (m_p == m_end)
            return fail("unterminated string");
        const char e = *m_p++;
        switch (e) {
        case '"': out.append('"'); break;
        case '\\': out.append('\\'); break;
        case '/': out.append('/'); break;
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'n': out.append('\n'); break;
        case 'r': out.append('\r'); break;
        case 't': out.append('\t'); break;
        case 'u': {
            const auto hex4 = [this](char32_t *value) {
                if (m_end - m_p < 4)
                    return false;
                char32_t v = 0;
                for (int i = 0; i < 4; ++i) {
                    const int h = hexValue(m_p[i]);
                    if (h < 0)
                        return false;
                    v = (v << 4) | char32_t(h);
                }
                m_p += 4;
                *value = v;
                return true;
            };
            char32_t c1;
            if (!hex4(&c1))
                return fail("invalid \\u escape");
            if (c1 >= 0xd800 && c1 <= 0xdbff) {
                char32_t c2;
                if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u')
                    return fail("lone surrogate");
                m_p += 2;
                if (!hex4(&c2))
                    return fail("invalid \\u escape");
                if (c2 < 0xdc00 || c2 > 0xdfff)
                    return fail("lone surrogate");
                c1 = 0x10000 + ((c1 - 0xd800) << 10) + (c2 - 0xdc00);
            } else if (c1 >= 0xdc00 && c1 <= 0xdfff) {
                return fail("lone surrogate");
            }
            appendUtf8(out, c1);
            break;
        }
        default:
            return fail("invalid escape");
        }
        start = m_p;
    }
}

bool JsonRowReader::readLiteral(const char *word, qsizetype size)
{
    if (m_end - m_p < size || std::memcmp(m_p, word, size_t(size)) != 0)
        return fail("unexpected character");
    m_p += size;
    return true;
}

bool JsonRowReader::readValue(QByteArray &out)
{
    if (m_p == m_end)
        return fail("expected a value");
    switch (*m_p) {
    case '"': {
        QByteArrayView text;
        if (!readString(&text))
            return false;
        PackedRow::appendString(out, text);
        return true;
    }
    case 't':
        if (!readLiteral("true", 4))
            return false;
        PackedRow::appendBool(out, true);
        return true;
    case 'f':
        if (!readLiteral("false", 5))
            return false;
        PackedRow::appendBool(out, false);
        return true;
    case 'n':
        if (!readLiteral("null", 4))
            return false;
        PackedRow::appendNull(out);
        return true;
    case '{':
    case '[':
        return readNested(out);
    default:
        if (*m_p == '-' || isDigit(*m_p))
            return readNumber(out);
        return fail("unexpected character");
    }
}

bool JsonRowReader::readNumber(QByteArray &out)
{
    const char *start = m_p;
    if (*m_p == '-')
        ++m_p;
    if (m_p == m_end || !isDigit(*m_p))
        return fail("invalid number");
    if (*m_p == '0') {
        ++m_p;
    } else {
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    }
    bool integral = true;
    if (m_p < m_end && *m_p == '.') {
        ++m_p;
        if (m_p == m_end || !isDigit(*m_p))
            return fail("invalid number");
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
        integral = false;
    }
    if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
        ++m_p;
        if (m_p < m_end && (*m_p == '+' || *m_p == '-'))
            ++m_p;
        if (m_p == m_end || !isDigit(*m_p))
            return fail("invalid number");
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
        integral = false;
    }
    // As QJsonDocument: digits only and within qint64 is an integer, else a double.
    if (integral) {
        qint64 value;
        const auto [end, ec] = std::from_chars(start, m_p, value);
        if (ec == std::errc() && end == m_p) {
            PackedRow::appendInteger(out, value);
            return true;
        }
    }
    double value;
    const auto [end, ec] = std::from_chars(start, m_p, value);
    if (ec != std::errc() || end != m_p || !std::isfinite(value))
        return fail("number out of range");
    // QJsonDocument stores a double with an integral value in qint64's range
    // as an integer too (2.0 and 1e3 read as qlonglong).
    if (value >= -0x1p63 && value < 0x1p63 && value == std::trunc(value))
        PackedRow::appendInteger(out, qint64(value));
    else
        PackedRow::appendDouble(out, value);
    return true;
}

bool JsonRowReader::readNested(QByteArray &out)
{
    // Find its end, then let QJsonDocument check and compact this cell only.
    const char *start = m_p;
    int depth = 0;
    do {
        if (m_p >= m_end)
            return fail("unterminated object or array");
        const char c = *m_p++;
        if (c == '"') {
            while (m_p < m_end && *m_p != '"')
                m_p += *m_p == '\\' ? 2 : 1;
            if (m_p >= m_end)
                return fail("unterminated string");
            ++m_p;
        } else if (c == '{' || c == '[') {
            if (++depth > MaxCellDepth)
                return fail("nested too deep");
        } else if (c == '}' || c == ']') {
            --depth;
        }
    } while (depth > 0);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromRawData(start, m_p - start), &error);
    if (error.error != QJsonParseError::NoError || doc.isNull())
        return fail("invalid object or array");
    PackedRow::appendJson(out, QByteArrayView(doc.toJson(QJsonDocument::Compact)));
    return true;
}

} // namespace Aiodata::Internal
