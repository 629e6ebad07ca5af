#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QStringList>

namespace Aiodata::Server::RowText {

// Rows as JSON text, cut without re-rendering any value: a number's digits,
// a string's escapes and a nested document reach the client as PostgreSQL
// or the WAL formatter wrote them (a JSON library would turn numerics into
// doubles). The input is our own JSON (WalValueFormatter's or
// PostgreSQL's); anything else gives an empty result, never a crash.

// The object with only the members named in columns, in its own order.
QByteArray project(QByteArrayView object, const QStringList &columns);

} // namespace Aiodata::Server::RowText
