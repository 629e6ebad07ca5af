#pragma once

// Internal to the client library: not installed, not exported. What a
// subset's query (Client::model(table, query)) means on the client: the bytes
// sent, and the columns its model holds (docs/protocol.md, "Subsets").

#include "tableschema.h"

#include <QByteArray>
#include <QString>

namespace Aiodata::Internal {

// The query percent-encoded as in a URL ("name=eq.Big Dog" -> "name=eq.Big%20Dog";
// what is encoded already stays so). The subscribe message and the fill's
// GET /query/<table>?<query> carry these same bytes, so that the server
// judges the stream and the fill by one filter.
QByteArray encodedQuery(const QString &query);

// The columns of a subset's model: those of select= and the key columns (the
// server always sends the key), in the table's column order; every column
// without select= or with *. Names the table lacks are left out (the server
// refuses the query anyway).
TableSchema subsetSchema(const TableSchema &table, const QString &query);

// The query of a subset's fill, GET /query/<table>?<fill query>: the encoded
// query with its select= naming the model's columns (the REST API sends
// only what select= names, and the model needs the key); the rest as is.
QByteArray fillQuery(const QString &query, const QStringList &columns);

} // namespace Aiodata::Internal
