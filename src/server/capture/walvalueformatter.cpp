#include "capture/walvalueformatter.h"

#include "pg/pgtype.h"

#include <cstdio>

namespace Aiodata::Server {

using namespace PgType;

namespace {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool allDigits(const QByteArray &s, qsizetype from, qsizetype to)
{
    if (from >= to)
        return false;
    for (qsizetype i = from; i < to; ++i) {
        if (!isDigit(s.at(i)))
            return false;
    }
    return true;
}

// "YYYY-MM-DD" with four or more year digits, as DateStyle ISO writes it.
bool isIsoDate(const QByteArray &s)
{
    const qsizetype n = s.size();
    return n >= 10 && s.at(n - 3) == '-' && s.at(n - 6) == '-' && allDigits(s, 0, n - 6)
        && allDigits(s, n - 5, n - 3) && allDigits(s, n - 2, n);
}

// "HH:MM:SS" with optional fractional seconds.
bool isIsoTime(const QByteArray &s)
{
    if (s.size() < 8 || s.at(2) != ':' || s.at(5) != ':' || !allDigits(s, 0, 2) || !allDigits(s, 3, 5)
        || !allDigits(s, 6, 8))
        return false;
    return s.size() == 8 || (s.at(8) == '.' && allDigits(s, 9, s.size()));
}

// "+HH", "+HH:MM" or "+HH:MM:SS" (historic offsets have seconds).
bool isIsoOffset(const QByteArray &s)
{
    if (s.size() < 3 || (s.at(0) != '+' && s.at(0) != '-') || !allDigits(s, 1, 3))
        return false;
    if (s.size() == 3)
        return true;
    if (s.at(3) != ':' || !allDigits(s, 4, 6))
        return false;
    return s.size() == 6 || (s.size() == 9 && s.at(6) == ':' && allDigits(s, 7, 9));
}

// DateStyle ISO -> the XSD form json.c writes (EncodeDateTime with
// USE_XSD_DATES): 'T' between date and time, offsets always with minutes.
// " BC" stays at the end in both.
bool appendTimestamp(QByteArray &out, const QByteArray &text, bool withZone)
{
    if (text == "infinity" || text == "-infinity") {
        WalValueFormatter::appendString(out, text);
        return true;
    }
    QByteArray body = text;
    const bool bc = body.endsWith(" BC");
    if (bc)
        body.chop(3);
    const qsizetype space = body.indexOf(' ');
    if (space < 0)
        return false;
    const QByteArray date = body.left(space);
    QByteArray time = body.mid(space + 1);
    QByteArray offset;
    if (withZone) {
        qsizetype sign = -1;
        for (qsizetype i = 8; i < time.size(); ++i) {
            if (time.at(i) == '+' || time.at(i) == '-') {
                sign = i;
                break;
            }
        }
        if (sign < 0)
            return false;
        offset = time.mid(sign);
        time.truncate(sign);
        if (!isIsoOffset(offset))
            return false;
        if (offset.size() == 3)
            offset += ":00";
    }
    if (!isIsoDate(date) || !isIsoTime(time))
        return false;
    out += '"';
    out += date;
    out += 'T';
    out += time;
    out += offset;
    if (bc)
        out += " BC";
    out += '"';
    return true;
}

} // namespace

bool WalValueFormatter::handles(quint32 typeOid, bool sessionMatched)
{
    switch (typeOid) {
    case Bool:
    case Char:
    case Name:
    case Int8:
    case Int2:
    case Int4:
    case Text:
    case ObjectId:
    case Json:
    case Bpchar:
    case Varchar:
    case Numeric:
    case Uuid:
    case Jsonb:
        return true;
    case Float4:
    case Float8:
    case Date:
    case Timestamp:
    case TimestampTz:
        return sessionMatched;
    default:
        return false;
    }
}

bool WalValueFormatter::append(QByteArray &out, quint32 typeOid, const QByteArray &text, bool sessionMatched)
{
    if (!handles(typeOid, sessionMatched))
        return false;
    switch (typeOid) {
    case Bool:
        if (text == "t")
            out += "true";
        else if (text == "f")
            out += "false";
        else
            return false;
        return true;
    case Int8:
    case Int2:
    case Int4:
    case Float4:
    case Float8:
    case Numeric:
        // As datum_to_json: bare when a valid JSON number, else a string
        // (NaN, Infinity).
        if (isJsonNumber(text))
            out += text;
        else
            appendString(out, text);
        return true;
    case Json:
    case Jsonb:
        // PostgreSQL validated it; row_to_json copies the text as is.
        if (text.isEmpty())
            return false;
        out += text;
        return true;
    case Date:
        if (text == "infinity" || text == "-infinity" || isIsoDate(text.endsWith(" BC") ? text.chopped(3) : text)) {
            appendString(out, text);
            return true;
        }
        return false;
    case Timestamp:
        return appendTimestamp(out, text, false);
    case TimestampTz:
        return appendTimestamp(out, text, true);
    default:
        // Text types, uuid, oid (a string in row_to_json): the text itself.
        appendString(out, text);
        return true;
    }
}

void WalValueFormatter::appendString(QByteArray &out, const QByteArray &utf8)
{
    out += '"';
    for (const char c : utf8) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (uchar(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", uchar(c));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

bool WalValueFormatter::isJsonNumber(const QByteArray &text)
{
    // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    qsizetype i = 0;
    const qsizetype n = text.size();
    if (i < n && text.at(i) == '-')
        ++i;
    if (i >= n || !isDigit(text.at(i)))
        return false;
    if (text.at(i) == '0') {
        ++i;
    } else {
        while (i < n && isDigit(text.at(i)))
            ++i;
    }
    if (i < n && text.at(i) == '.') {
        ++i;
        if (i >= n || !isDigit(text.at(i)))
            return false;
        while (i < n && isDigit(text.at(i)))
            ++i;
    }
    if (i < n && (text.at(i) == 'e' || text.at(i) == 'E')) {
        ++i;
        if (i < n && (text.at(i) == '+' || text.at(i) == '-'))
            ++i;
        if (i >= n || !isDigit(text.at(i)))
            return false;
        while (i < n && isDigit(text.at(i)))
            ++i;
    }
    return i == n;
}

} // namespace Aiodata::Server
