#include "fanout/rowtext.h"

namespace Aiodata::Server::RowText {

namespace {

void skipSpace(QByteArrayView s, qsizetype &i)
{
    while (i < s.size() && (s.at(i) == ' ' || s.at(i) == '\n' || s.at(i) == '\t' || s.at(i) == '\r'))
        ++i;
}

// Past a string starting at i (its opening quote); false if unterminated.
bool skipString(QByteArrayView s, qsizetype &i)
{
    for (++i; i < s.size(); ++i) {
        if (s.at(i) == '\\')
            ++i;
        else if (s.at(i) == '"') {
            ++i;
            return true;
        }
    }
    return false;
}

// Past one value starting at i; false if it does not end.
bool skipValue(QByteArrayView s, qsizetype &i)
{
    if (i >= s.size())
        return false;
    if (s.at(i) == '"')
        return skipString(s, i);
    if (s.at(i) == '{' || s.at(i) == '[') {
        int depth = 0;
        while (i < s.size()) {
            const char c = s.at(i);
            if (c == '"') {
                if (!skipString(s, i))
                    return false;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0) {
                ++i;
                return true;
            }
            ++i;
        }
        return false;
    }
    // A number, true, false or null: to the next delimiter.
    const qsizetype start = i;
    while (i < s.size() && s.at(i) != ',' && s.at(i) != '}' && s.at(i) != ']' && s.at(i) != ' ' && s.at(i) != '\n')
        ++i;
    return i > start;
}

} // namespace

QByteArray project(QByteArrayView object, const QStringList &columns)
{
    qsizetype i = 0;
    skipSpace(object, i);
    if (i >= object.size() || object.at(i) != '{')
        return {};
    ++i;
    QByteArray out = "{";
    while (true) {
        skipSpace(object, i);
        if (i < object.size() && object.at(i) == '}')
            break;
        if (i >= object.size() || object.at(i) != '"')
            return {};
        const qsizetype keyStart = i;
        if (!skipString(object, i))
            return {};
        const qsizetype keyEnd = i;
        const QByteArrayView key = object.sliced(keyStart + 1, keyEnd - keyStart - 2);
        skipSpace(object, i);
        if (i >= object.size() || object.at(i) != ':')
            return {};
        ++i;
        skipSpace(object, i);
        const qsizetype valueStart = i;
        if (!skipValue(object, i))
            return {};
        // Column names are compared as written: ours carry no escapes but
        // for quotes and backslashes, which the formatter writes escaped.
        if (columns.contains(QString::fromUtf8(key))) {
            if (out.size() > 1)
                out += ',';
            out.append(object.sliced(keyStart, keyEnd - keyStart));
            out += ':';
            out.append(object.sliced(valueStart, i - valueStart));
        }
        skipSpace(object, i);
        if (i < object.size() && object.at(i) == ',') {
            ++i;
            continue;
        }
        if (i < object.size() && object.at(i) == '}')
            break;
        return {};
    }
    out += '}';
    return out;
}

} // namespace Aiodata::Server::RowText
