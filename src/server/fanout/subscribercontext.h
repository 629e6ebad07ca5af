#pragma once

#include "fanout/subset.h"

#include <QByteArray>
#include <QMetaType>
#include <QSet>
#include <QString>

namespace Aiodata::Server {

// Who a WebSocket subscriber is, decided when it connects; what it may read
// is decided again at each schema reload.
struct SubscriberContext
{
    QString role;
    QByteArray token;              // the JWT it connected with, empty when anonymous: checked again when keys rotate
    QByteArray claimsJson;         // the token's claims: row-level security may depend on them
    QString schema;
    QSet<QString> readableTables;  // tables the role may SELECT
    QByteArray privileges;         // SchemaCache::readableTablesSql()'s second column: changes with any grant
    qint64 expiresAt = 0;          // token's exp (seconds since epoch), 0 = never
    // Resume: the client's last applied position and the epoch it belongs to.
    bool resume = false;
    quint64 since = 0;
    QString sinceEpoch;
    // A selective stream (?tables=): only these whole tables, and subsets.
    bool selective = false;
    QSet<QString> wholeTables;
    QList<Subset> subsets;         // made by subscribe messages

    // Whether the stream carries the table's changes whole.
    bool streamsWhole(const QString &tableSchema, const QString &table) const
    {
        return tableSchema == schema && readableTables.contains(table) && (!selective || wholeTables.contains(table));
    }
};

// What a role may read in a schema (SchemaCache::readableTablesSql()'s
// two columns), read again at every schema reload.
struct ReadableTables
{
    QSet<QString> tables;
    QByteArray privileges;
};

// One entry per role and schema: subscribers of a role in a schema read the same tables.
inline QString roleKey(const QString &role, const QString &schema)
{
    return role + QLatin1Char('\n') + schema;
}

} // namespace Aiodata::Server

Q_DECLARE_METATYPE(Aiodata::Server::SubscriberContext)
