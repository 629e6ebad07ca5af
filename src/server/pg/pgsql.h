#pragma once

#include "pg/pgconnection.h"

#include <QByteArray>
#include <QString>

namespace Aiodata::Server::PgSql {

// SQL text every layer needs, in one place: identifiers are always quoted
// ("na""me"), values always bound as parameters. Callers have checked that
// the names exist; quoting is what makes any name safe, not that check.

QByteArray quoteIdentifier(const QString &name);
// Appends "na""me" without a temporary for ASCII names: this runs for every
// identifier of every statement.
void appendIdentifier(QByteArray &out, const QString &name);
// "schema"."name"
QByteArray qualifiedName(const QString &schema, const QString &name);

// Opens a transaction's work as a role: SET LOCAL ROLE and the JWT claims
// (set_config(..., true) is SET LOCAL: it ends with the transaction), so
// grants and row-level security decide.
PgStatement roleStatement(const QString &role, const QByteArray &claimsJson);

// The SQL with every parameter reference $n made $(n + by), so that pieces
// built on their own can be joined in one statement. Quoted identifiers,
// string literals and dollar-free text are left as they are.
QByteArray shiftParameters(QByteArrayView sql, int by);

} // namespace Aiodata::Server::PgSql
