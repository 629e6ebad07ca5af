#include "pg/pgsql.h"

#include <algorithm>

namespace Aiodata::Server::PgSql {

void appendIdentifier(QByteArray &out, const QString &name)
{
    auto append = [&out](char c) {
        out += c;
        if (c == '"')
            out += '"';
    };
    out += '"';
    if (std::all_of(name.begin(), name.end(), [](QChar c) { return c.unicode() < 0x80; })) {
        for (const QChar c : name)
            append(char(c.unicode()));
    } else {
        for (const char c : name.toUtf8())
            append(c);
    }
    out += '"';
}

QByteArray quoteIdentifier(const QString &name)
{
    QByteArray quoted;
    quoted.reserve(name.size() + 8);
    appendIdentifier(quoted, name);
    return quoted;
}

QByteArray qualifiedName(const QString &schema, const QString &name)
{
    QByteArray quoted;
    quoted.reserve(schema.size() + name.size() + 16);
    appendIdentifier(quoted, schema);
    quoted += '.';
    appendIdentifier(quoted, name);
    return quoted;
}

PgStatement roleStatement(const QString &role, const QByteArray &claimsJson)
{
    // Its row (the two values set) is of no use to anyone: not copied out.
    return PgStatement{QByteArrayLiteral("SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)"),
                       {role.toUtf8(), claimsJson}, false};
}

QByteArray shiftParameters(QByteArrayView sql, int by)
{
    QByteArray out;
    out.reserve(sql.size() + 16);
    for (qsizetype i = 0; i < sql.size();) {
        const char c = sql.at(i);
        if (c == '"' || c == '\'') {
            // To the closing quote; a doubled quote is one inside.
            qsizetype j = i + 1;
            while (j < sql.size()) {
                if (sql.at(j) == c) {
                    if (j + 1 < sql.size() && sql.at(j + 1) == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            const qsizetype end = qMin(j + 1, sql.size());
            out.append(sql.sliced(i, end - i));
            i = end;
        } else if (c == '$' && i + 1 < sql.size() && sql.at(i + 1) >= '0' && sql.at(i + 1) <= '9') {
            qsizetype j = i + 1;
            while (j < sql.size() && sql.at(j) >= '0' && sql.at(j) <= '9')
                ++j;
            out += '$';
            out += QByteArray::number(sql.sliced(i + 1, j - i - 1).toByteArray().toLongLong() + by);
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

} // namespace Aiodata::Server::PgSql
