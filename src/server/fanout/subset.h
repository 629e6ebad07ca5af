#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <variant>

namespace Aiodata::Server {

// One subscriber's subset of a table: the rows a PostgREST query gives
// (docs/protocol.md, "Subsets"), planned by rest/SubsetPlanner so that the
// filter is the REST API's own.
struct Subset
{
    QString id;              // the client's name for it
    QString table;           // in the subscriber's schema
    QByteArray query;        // as the client sent it: planned again at each schema reload
    QStringList columns;     // select= plus the key columns, in table order; empty: all
    QStringList key;         // the table's primary key: what deletes carry
    // The filter: a condition on the table's row aliased _t, the REST
    // API's WHERE (SqlBuilder::buildRowCondition), its values params as
    // $2 onwards ($1 is the caller's).
    QByteArray condition;
    QList<QByteArray> params;
};

// Why a subscribe was refused: the REST API's error for the same query.
struct SubsetRefusal
{
    QString code;
    QString message;
    QString details;
    QString hint;
};

struct SubscriberContext;

// Plans a subscribe (rest/SubsetPlanner, given to the Fanout by Routes):
// the subscriber as it is, the subset's id, table and query.
using SubsetPlanning = std::function<std::variant<Subset, SubsetRefusal>(
    const SubscriberContext &subscriber, const QString &id, const QString &table, const QByteArray &query)>;

} // namespace Aiodata::Server
