#pragma once

#include "aiodata_export.h"

#include <QLocale>
#include <QObject>
#include <QStringList>
#include <QUrl>
#include <QVariantList>
#include <QVariantMap>

#include <memory>

namespace Aiodata {

class TableModel;

// A live connection to an aiodata server: loads the schema, keeps one
// TableModel per table (those with a primary key) filled and up to date
// from the server's event stream, and reconnects by itself. Subset models
// (model(table, query)) hold the rows of a query and follow them the same way.
//
//   auto *client = new Aiodata::Client(this);
//   client->setToken(token);
//   connect(client, &Aiodata::Client::ready, ...);
//   client->start();
class AIODATA_EXPORT Client : public QObject
{
    Q_OBJECT
    // moc's code asks whether TableModel is complete; let it be (g++ 15
    // warns when a type completes after such a question, -Wsfinae-incomplete).
    Q_MOC_INCLUDE("tablemodel.h")
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlChanged)
    Q_PROPERTY(QString token READ token WRITE setToken NOTIFY tokenChanged)
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(qreal progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QStringList tableNames READ tableNames NOTIFY tablesChanged)
    // The tables synced whole (one model each, table()). {"*"}, the default:
    // every readable table. A list: those only, over a selective stream
    // (GET /state?tables=...); {} syncs no whole table. Subset models need a
    // list. Set while started, the client reconnects.
    Q_PROPERTY(QStringList syncedTables READ syncedTables WRITE setSyncedTables NOTIFY syncedTablesChanged)
    // A folder for the cache (empty, the default: none). With one, the
    // models of whole tables are kept on disk with the stream position
    // they are consistent with, per server, schema and role; start() fills
    // them from it before any network call, then resumes the stream from
    // there (or fetches the tables again and merges, emitting only what
    // differs). Set before start().
    Q_PROPERTY(QString cacheDirectory READ cacheDirectory WRITE setCacheDirectory NOTIFY cacheDirectoryChanged)
    // The models hold what the cache had: rows of the server at a past
    // position, not yet confirmed (false again once Ready).
    Q_PROPERTY(bool fromCache READ isFromCache NOTIFY fromCacheChanged)
    // With a cache, writes are durable: each is in the cache folder's
    // journal before create()/update()/remove()/setData() return, and is
    // sent (once the client is Ready, one after another, in order, with its
    // Idempotency-Key) until the server answers it, across restarts of the
    // app and of the server. This counts the writes not yet shown as the
    // server's: journaled, on their way, or answered and their change not
    // yet streamed back (at most a few seconds).
    Q_PROPERTY(int pendingWrites READ pendingWrites NOTIFY pendingWritesChanged)
    Q_PROPERTY(Error error READ error NOTIFY errorOccurred)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
public:
    enum Status {
        Disconnected,   // not started, or stopped
        Connecting,     // first connection in progress
        Loading,        // subscribed, filling the tables
        Ready,          // models equal the database, events flowing
        Reconnecting,   // lost the server; retrying with backoff
    };
    Q_ENUM(Status)

    enum Error {
        NoError,
        ConnectionError,      // server unreachable or connection lost
        AuthenticationError,  // token refused (401/403)
        ProtocolError,        // unexpected answer from the server
        ServerError,          // the server reported a failure (5xx)
    };
    Q_ENUM(Error)

    explicit Client(QObject *parent = nullptr);
    ~Client() override;

    QUrl url() const;               // default http://localhost:4000
    void setUrl(const QUrl &url);
    QString token() const;          // JWT; empty = the server's anonymous role
    void setToken(const QString &token);

    Status status() const;
    qreal progress() const;         // 0..1 while loading, 1 when ready
    Error error() const;
    QString errorString() const;

    QStringList syncedTables() const;
    void setSyncedTables(const QStringList &tables);

    QString cacheDirectory() const;
    void setCacheDirectory(const QString &directory);
    bool isFromCache() const;
    int pendingWrites() const;

    QStringList tableNames() const;
    Q_INVOKABLE Aiodata::TableModel *table(const QString &name) const;
    QList<TableModel *> tables() const;

    // A live subset of a table: the rows of GET /query/<table>?<query>, a
    // PostgREST query string ("type=eq.Dog&select=name,color": filters and
    // select=; no order, limit or offset), with the select= columns and the
    // key. Subscribed over the stream and filled once the server accepts it
    // (TableModel::loaded); a refused query is TableModel::errorOccurred.
    // The same table and query give the same model. The client owns it;
    // delete it to unsubscribe. nullptr (with a warning) while the table is
    // not known (before the schema arrived, not readable, no primary key) or
    // while syncedTables is {"*"}.
    Q_INVOKABLE Aiodata::TableModel *model(const QString &table, const QString &query);
    QList<TableModel *> subsets() const;

    // Installs the library's translation for `locale` (German and French
    // ship) on the application; false if there is none for that language.
    static bool installTranslator(const QLocale &locale = QLocale());

public Q_SLOTS:
    void start();
    void stop();
    // Fills the models from the cache of the current url and token, without
    // connecting; cacheOpened() when done (also when there is nothing to
    // read: the server never identified this token, or no cacheDirectory).
    // start() does this first by itself.
    void openCache();

Q_SIGNALS:
    void urlChanged();
    void tokenChanged();
    void syncedTablesChanged();
    void cacheDirectoryChanged();
    void fromCacheChanged(bool fromCache);
    void pendingWritesChanged(int pendingWrites);
    // The server refused a journaled write (privilege, row-level security,
    // constraint, conflict), perhaps one made in an earlier run of the app:
    // it is out of the journal; the writes after it are still sent. write
    // is {"method": "POST"|"PATCH"|"DELETE", "key": [...], "values": ...}.
    void writeRefused(const QString &table, const QVariantMap &write, const QString &errorCode,
                      const QString &errorString);
    void cacheOpened();
    void statusChanged(Aiodata::Client::Status status);
    void progressChanged(qreal progress);
    void tablesChanged();
    // A model was made for a table, before any row is in it.
    void tableAdded(Aiodata::TableModel *model);
    // The table is gone from the server's schema (dropped, no longer
    // readable, or its columns changed: then tableAdded follows with a new
    // model); the model is deleted later, drop references to it now.
    void tableRemoved(Aiodata::TableModel *model);
    void ready();
    void errorOccurred(Aiodata::Client::Error error, const QString &errorString);

    // Every event, per table; rows are QVariantMap each. Updates carry old
    // and new rows pairwise.
    void created(const QString &table, const QVariantList &rows);
    void updated(const QString &table, const QVariantList &oldRows, const QVariantList &newRows);
    void deleted(const QString &table, const QVariantList &rows);
    // The same, as one callback: action is "create", "update" or "delete";
    // for updates each entry is a two-element list [old, new].
    void event(const QString &action, const QString &table, const QVariantList &rows);

private:
    class Private;
    std::unique_ptr<Private> const d;
};

} // namespace Aiodata
