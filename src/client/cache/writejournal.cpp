#include "writejournal.h"

#include "logging_p.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QtEndian>

#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace Aiodata::Internal {

namespace {

constexpr char Magic[8] = {'A', 'I', 'O', 'W', 'R', 'I', 'T', 'E'};
constexpr qsizetype HeaderSize = sizeof Magic + sizeof(quint32);
constexpr qsizetype RecordHead = sizeof(quint32) + sizeof(quint64);
// A write's body is a request body: far below this, which bounds what a
// damaged length can make the reader look at.
constexpr quint32 MaxRecord = 256u << 20;
// Records in a journal that never empties before it is compacted.
constexpr qsizetype CompactAfter = 1024;

QByteArray frame(const QJsonObject &object)
{
    const QByteArray payload = QJsonDocument(object).toJson(QJsonDocument::Compact);
    QByteArray record(RecordHead, Qt::Uninitialized);
    qToLittleEndian(quint32(payload.size()), record.data());
    qToLittleEndian(quint64(XXH3_64bits(payload.constData(), size_t(payload.size()))), record.data() + sizeof(quint32));
    return record + payload;
}

std::optional<JournalEntry> entryOf(const QJsonObject &o)
{
    const QJsonValue id = o.value(QLatin1String("write"));
    const QJsonValue method = o.value(QLatin1String("method"));
    const QJsonValue table = o.value(QLatin1String("table"));
    const QJsonValue key = o.value(QLatin1String("key"));
    const QJsonValue body = o.value(QLatin1String("body"));
    if (!id.isString() || !method.isString() || !table.isString() || !key.isArray() || !body.isString())
        return std::nullopt;
    JournalEntry e;
    e.id = id.toString().toUtf8();
    e.method = method.toString().toLatin1();
    if (e.id.isEmpty() || (e.method != "POST" && e.method != "PATCH" && e.method != "DELETE"))
        return std::nullopt;
    e.table = table.toString();
    e.keyPrefix = key.toArray().toVariantList();
    e.body = body.toString().toUtf8();
    return e;
}

// The folder's entry for a new or renamed file is durable only once the
// folder itself is synced.
void syncDirectory(const QString &filePath)
{
    const int fd = ::open(QFile::encodeName(QFileInfo(filePath).absolutePath()).constData(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

QByteArray WriteJournal::header()
{
    QByteArray h(Magic, sizeof Magic);
    h.resize(HeaderSize);
    qToLittleEndian(FormatVersion, h.data() + sizeof Magic);
    return h;
}

QByteArray WriteJournal::writeRecord(const JournalEntry &entry)
{
    return frame(QJsonObject{{QLatin1String("write"), QString::fromUtf8(entry.id)},
                             {QLatin1String("method"), QString::fromLatin1(entry.method)},
                             {QLatin1String("table"), entry.table},
                             {QLatin1String("key"), QJsonArray::fromVariantList(entry.keyPrefix)},
                             {QLatin1String("body"), QString::fromUtf8(entry.body)}});
}

QByteArray WriteJournal::doneRecord(const QByteArray &id)
{
    return frame(QJsonObject{{QLatin1String("done"), QString::fromUtf8(id)}});
}

std::optional<WriteJournal::Contents> WriteJournal::parse(QByteArrayView file, QString *why)
{
    if (file.size() < HeaderSize || std::memcmp(file.data(), Magic, sizeof Magic) != 0) {
        *why = QStringLiteral("not a write journal");
        return std::nullopt;
    }
    if (const quint32 version = qFromLittleEndian<quint32>(file.data() + sizeof Magic); version != FormatVersion) {
        *why = QStringLiteral("write journal format %1, this library reads %2").arg(version).arg(FormatVersion);
        return std::nullopt;
    }
    Contents contents;
    qsizetype at = HeaderSize;
    while (file.size() - at >= RecordHead) {
        const quint32 n = qFromLittleEndian<quint32>(file.data() + at);
        const quint64 sum = qFromLittleEndian<quint64>(file.data() + at + sizeof(quint32));
        if (n > MaxRecord || qsizetype(n) > file.size() - at - RecordHead)
            break;
        const char *payload = file.data() + at + RecordHead;
        if (XXH3_64bits(payload, n) != sum)
            break;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromRawData(payload, n), &error);
        if (!doc.isObject())
            break;
        const QJsonObject o = doc.object();
        if (const QJsonValue done = o.value(QLatin1String("done")); done.isString()) {
            const QByteArray id = done.toString().toUtf8();
            contents.pending.removeIf([&id](const JournalEntry &e) { return e.id == id; });
        } else if (auto entry = entryOf(o)) {
            contents.pending.append(*std::move(entry));
        } else {
            break;
        }
        at += RecordHead + n;
        ++contents.records;
    }
    contents.validBytes = at;
    return contents;
}

bool WriteJournal::open(const QString &path, QString *why)
{
    m_file.close();
    m_pending.clear();
    m_file.setFileName(path);
    if (QFile::exists(path)) {
        QFile in(path);
        if (!in.open(QIODevice::ReadOnly)) {
            *why = in.errorString();
            return false;
        }
        const QByteArray bytes = in.readAll();
        in.close();
        QString parseWhy;
        const std::optional<Contents> contents = parse(bytes, &parseWhy);
        if (!contents || contents->validBytes < bytes.size()) {
            // Never dropped without a trace: the bytes stay for a person to read.
            const QString aside = path + QLatin1String(".damaged");
            QFile::remove(aside);
            QFile::copy(path, aside);
            qCWarning(lcCache).noquote() << "write journal" << path
                                         << (contents ? QStringLiteral("does not check after byte %1 of %2")
                                                            .arg(contents->validBytes)
                                                            .arg(bytes.size())
                                                      : parseWhy)
                                         << "- kept as" << aside << "; the writes before that are sent";
        }
        if (contents)
            m_pending = contents->pending;
        // Already compact and whole: append to it as it is.
        if (contents && contents->validBytes == bytes.size() && contents->records == m_pending.size()) {
            m_records = contents->records;
            if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
                *why = m_file.errorString();
                return false;
            }
            return true;
        }
    }
    return rewrite(why);
}

bool WriteJournal::rewrite(QString *why)
{
    m_file.close();
    const QString path = m_file.fileName();
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        *why = out.errorString();
        return false;
    }
    QByteArray bytes = header();
    for (const JournalEntry &e : std::as_const(m_pending))
        bytes += writeRecord(e);
    if (out.write(bytes) != bytes.size() || !out.commit()) { // commit syncs the file, then renames it
        *why = out.errorString();
        return false;
    }
    syncDirectory(path);
    m_records = m_pending.size();
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        *why = m_file.errorString();
        return false;
    }
    return true;
}

bool WriteJournal::sync()
{
    return m_file.flush() && ::fdatasync(m_file.handle()) == 0;
}

bool WriteJournal::append(const JournalEntry &entry, QString *why)
{
    const QByteArray record = writeRecord(entry);
    if (!m_file.isOpen() || m_file.write(record) != record.size() || !sync()) {
        *why = m_file.isOpen() ? m_file.errorString() : QStringLiteral("the write journal is not open");
        // A half-written record would end the journal: make it whole again.
        QString ignored;
        if (m_file.isOpen())
            rewrite(&ignored);
        return false;
    }
    m_pending.append(entry);
    ++m_records;
    return true;
}

void WriteJournal::markDone(const QByteArray &id)
{
    const qsizetype before = m_pending.size();
    m_pending.removeIf([&id](const JournalEntry &e) { return e.id == id; });
    if (m_pending.size() == before || !m_file.isOpen())
        return;
    if (m_pending.isEmpty()) {
        // Nothing left to send: back to the header alone, so the file does not grow.
        if (m_file.resize(HeaderSize)) {
            m_file.seek(HeaderSize);
            m_records = 0;
            return;
        }
    }
    // Writes keep coming and it never empties: mostly answered records, rewrite it.
    if (m_records >= CompactAfter && m_records > 4 * m_pending.size()) {
        QString why;
        if (rewrite(&why))
            return;
        qCWarning(lcCache).noquote() << "cannot compact" << m_file.fileName() << ':' << why;
    }
    const QByteArray record = doneRecord(id);
    if (m_file.write(record) != record.size() || !m_file.flush())
        qCWarning(lcCache).noquote() << "cannot note an answered write in" << m_file.fileName() << ':' << m_file.errorString();
    ++m_records;
}

} // namespace Aiodata::Internal
