#pragma once

// Internal to the client library: not installed, not exported.

#include "cachefile.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <functional>
#include <optional>

namespace Aiodata::Internal {

// Whose rows a cache holds: what one role of one server's schema may see
// never shows for another.
struct CacheIdentity
{
    QString url;
    QString role;
    QString schema;

    bool operator==(const CacheIdentity &other) const = default;
};

// A Client's cache directory:
//
//   <dir>/identities.json           which identity a token had (per server)
//   <dir>/<hash of identity>/<hash of table>.cache   one CacheFile per table
//   <dir>/<hash of identity>/writes.journal          its WriteJournal
//
// The identity of a token is only learned from the server (its hello), so a
// token the server never saw opens no cache. Reading and writing files run
// on one worker thread, in the order asked; a file is replaced atomically
// (QSaveFile: written aside, synced, renamed), so a crash leaves the old
// file or the new one.
class CacheStore
{
public:
    explicit CacheStore(const QString &directory);
    ~CacheStore(); // waits for the files being written
    Q_DISABLE_COPY_MOVE(CacheStore)

    QString directory() const { return m_directory; }

    // The identity the server gave token at url, when it last did.
    std::optional<CacheIdentity> identityOf(const QString &url, const QString &token) const;
    void remember(const QString &token, const CacheIdentity &identity);

    struct Loaded
    {
        QList<CacheFile::Contents> tables;
        QStringList discarded; // "file: why", for the warning
    };
    // Reads every table file of identity on the worker; done(...) is called
    // on context's thread (not at all if context is gone). Files that do not
    // check are deleted and listed in discarded.
    void load(const CacheIdentity &identity, QObject *context, std::function<void(Loaded)> done);
    // Replaces the table's file; rows are shared, not copied, until the
    // model changes them.
    void save(const CacheIdentity &identity, const CacheHeader &header, const QList<PackedRow> &rows);
    void remove(const CacheIdentity &identity, const QString &table);
    // Blocks until every read and write asked so far is done.
    void waitForDone();

    QString tablePath(const CacheIdentity &identity, const QString &table) const;
    // The identity's WriteJournal.
    QString journalPath(const CacheIdentity &identity) const;

private:
    QString partitionPath(const CacheIdentity &identity) const;

    QString m_directory;
    QThreadPool m_worker;
};

} // namespace Aiodata::Internal
