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

} // namespace Aiodata::Server::PgSql
