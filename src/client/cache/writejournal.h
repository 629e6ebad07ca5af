#pragma once

// Internal to the client library: not installed, not exported.

#include <QByteArray>
#include <QByteArrayView>
#include <QFile>
#include <QList>
#include <QString>
#include <QVariantList>

#include <optional>

namespace Aiodata::Internal {

// One write the client took and the server has not answered yet.
struct JournalEntry
{
    QByteArray id;          // its Idempotency-Key: a resend is run once
    QByteArray method;      // POST, PATCH or DELETE
    QString table;
    QVariantList keyPrefix; // /query/<table>/<k1>/...
    QByteArray body;        // JSON; empty for DELETE

    bool operator==(const JournalEntry &other) const = default;
};

// The writes of one cache partition (one server, role and schema) that are
// not answered yet, in the order they were made, in
// <partition>/writes.journal:
//
//   "AIOWRITE"  u32 format version
//   records:    u32 n  u64 XXH3-64 of the n bytes  n bytes of JSON
//               {"write": id, "method", "table", "key": [...], "body"} or {"done": id}
//
// A write is appended and synced to disk before the call that made it
// returns; "done" is appended when the server answered (not synced: a lost
// "done" only resends a write the server answers again from its key). A
// record that does not check ends the journal there: an append cut short by
// a crash never returned, so nothing it held was promised. A journal that
// never empties is rewritten once its records are mostly answered ones.
class WriteJournal
{
public:
    static constexpr quint32 FormatVersion = 1;

    struct Contents
    {
        QList<JournalEntry> pending;  // written and not done, in order
        qsizetype validBytes = 0;     // the file up to the first record that does not check
        qsizetype records = 0;        // how many records those bytes hold
    };
    // Pure: the journal in file, or nullopt with why (not a journal at all).
    static std::optional<Contents> parse(QByteArrayView file, QString *why);
    static QByteArray header();
    static QByteArray writeRecord(const JournalEntry &entry);
    static QByteArray doneRecord(const QByteArray &id);

    WriteJournal() = default;
    Q_DISABLE_COPY_MOVE(WriteJournal)

    // Reads path (creating it when absent). What follows the first record
    // that does not check is kept aside as <path>.damaged and warned of;
    // answered writes are compacted away.
    bool open(const QString &path, QString *why);
    QString path() const { return m_file.fileName(); }
    // On disk (synced) when it returns true.
    bool append(const JournalEntry &entry, QString *why);
    void markDone(const QByteArray &id);
    const QList<JournalEntry> &pending() const { return m_pending; }

private:
    bool rewrite(QString *why); // the header and the pending writes only
    bool sync();

    QFile m_file;
    QList<JournalEntry> m_pending;
    qsizetype m_records = 0; // in the file: writes and dones
};

} // namespace Aiodata::Internal
