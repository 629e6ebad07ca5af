#pragma once

// RFC 9110 syntax checks shared by the parser (requests) and the connection
// (responses it writes). Inline: they run several times for every request.

#include <QByteArrayView>
#include <QtGlobal>

namespace Aiodata::Server::HttpSyntax {

inline bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0;
}

// Comma-separated header lists ("Connection: keep-alive, Upgrade").
inline bool hasToken(QByteArrayView value, QByteArrayView token)
{
    // Views, no split: this runs several times for every request.
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        if (equalsIgnoreCase((comma < 0 ? value : value.first(comma)).trimmed(), token))
            return true;
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
    return false;
}

// RFC 9110 tchar: what header names and methods may contain.
inline bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

inline bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

inline bool hasLineBreakOrNul(QByteArrayView s)
{
    for (char c : s) {
        if (c == '\r' || c == '\n' || c == '\0')
            return true;
    }
    return false;
}

} // namespace Aiodata::Server::HttpSyntax
