#include "cachestore.h"

#include "logging_p.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSaveFile>

namespace Aiodata::Internal {

namespace {

// File names from hashes: table and role names may hold any character,
// and case-insensitive file systems would merge "Pets" and "pets".
QString hashName(const QString &text)
{
    return QString::fromLatin1(QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex().left(32));
}

QString tokenKey(const QString &url, const QString &token)
{
    // The token itself is not written down: only a hash of it.
    return QString::fromLatin1(QCryptographicHash::hash((url + QLatin1Char('\n') + token).toUtf8(),
                                                        QCryptographicHash::Sha256).toHex());
}

constexpr int MaxIdentities = 64; // tokens expire and are renewed: the oldest go

} // namespace

CacheStore::CacheStore(const QString &directory)
    : m_directory(directory)
{
    m_worker.setMaxThreadCount(1); // files in the order asked
    m_worker.setExpiryTimeout(-1);
}

CacheStore::~CacheStore()
{
    waitForDone();
}

void CacheStore::waitForDone()
{
    m_worker.waitForDone();
}

QString CacheStore::partitionPath(const CacheIdentity &identity) const
{
    return m_directory + QLatin1Char('/')
        + hashName(identity.url + QLatin1Char('\n') + identity.role + QLatin1Char('\n') + identity.schema);
}

QString CacheStore::tablePath(const CacheIdentity &identity, const QString &table) const
{
    return partitionPath(identity) + QLatin1Char('/') + hashName(table) + QLatin1String(".cache");
}

QString CacheStore::journalPath(const CacheIdentity &identity) const
{
    return partitionPath(identity) + QLatin1String("/writes.journal");
}

std::optional<CacheIdentity> CacheStore::identityOf(const QString &url, const QString &token) const
{
    QFile file(m_directory + QLatin1String("/identities.json"));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonObject all = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonObject entry = all.value(QLatin1String("tokens")).toObject().value(tokenKey(url, token)).toObject();
    if (entry.isEmpty())
        return std::nullopt;
    return CacheIdentity{url, entry.value(QLatin1String("role")).toString(), entry.value(QLatin1String("schema")).toString()};
}

void CacheStore::remember(const QString &token, const CacheIdentity &identity)
{
    // Small, and written when a connection says hello: on the caller's thread.
    QDir().mkpath(m_directory);
    QFile in(m_directory + QLatin1String("/identities.json"));
    QJsonObject all;
    if (in.open(QIODevice::ReadOnly))
        all = QJsonDocument::fromJson(in.readAll()).object();
    in.close();
    QJsonObject tokens = all.value(QLatin1String("tokens")).toObject();
    QJsonArray order = all.value(QLatin1String("order")).toArray();
    const QString key = tokenKey(identity.url, token);
    const QJsonObject entry{{QLatin1String("role"), identity.role}, {QLatin1String("schema"), identity.schema}};
    if (tokens.value(key).toObject() == entry)
        return;
    tokens.insert(key, entry);
    for (qsizetype i = order.size() - 1; i >= 0; --i) {
        if (order.at(i).toString() == key)
            order.removeAt(i);
    }
    order.append(key);
    while (order.size() > MaxIdentities)
        tokens.remove(order.takeAt(0).toString());
    all.insert(QLatin1String("tokens"), tokens);
    all.insert(QLatin1String("order"), order);
    QSaveFile out(in.fileName());
    if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(all).toJson(QJsonDocument::Compact)) < 0 || !out.commit())
        qCWarning(lcCache) << "cannot write" << out.fileName() << out.errorString();
}

void CacheStore::load(const CacheIdentity &identity, QObject *context, std::function<void(Loaded)> done)
{
    const QString dir = partitionPath(identity);
    QPointer<QObject> guard = context;
    m_worker.start([dir, identity, guard, done = std::move(done)] {
        Loaded loaded;
        const QStringList files = QDir(dir).entryList({QStringLiteral("*.cache")}, QDir::Files, QDir::Name);
        for (const QString &name : files) {
            QFile file(dir + QLatin1Char('/') + name);
            QString why;
            std::optional<CacheFile::Contents> contents;
            if (!file.open(QIODevice::ReadOnly)) {
                why = file.errorString();
            } else if (file.size() == 0) {
                why = QStringLiteral("empty");
            } else {
                // Mapped, not read: the rows are copied out once, straight from the page cache.
                const uchar *bytes = file.map(0, file.size());
                if (!bytes)
                    why = file.errorString();
                else
                    contents = CacheFile::read(QByteArrayView(bytes, file.size()), &why);
            }
            if (contents && (contents->header.url != identity.url || contents->header.role != identity.role
                             || contents->header.schema != identity.schema
                             || name != hashName(contents->header.tableName()) + QLatin1String(".cache"))) {
                contents.reset();
                why = QStringLiteral("belongs to another server, role or table");
            }
            if (!contents) {
                file.close();
                QFile::remove(file.fileName());
                loaded.discarded.append(name + QLatin1String(": ") + why);
                continue;
            }
            loaded.tables.append(std::move(*contents));
        }
        if (guard) {
            QMetaObject::invokeMethod(guard, [guard, done, loaded = std::move(loaded)]() mutable {
                if (guard)
                    done(std::move(loaded));
            }, Qt::QueuedConnection);
        }
    });
}

void CacheStore::save(const CacheIdentity &identity, const CacheHeader &header, const QList<PackedRow> &rows)
{
    const QString dir = partitionPath(identity);
    const QString path = tablePath(identity, header.tableName());
    m_worker.start([dir, path, header, rows] {
        QDir().mkpath(dir);
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || !CacheFile::write(file, header, rows) || !file.commit()) {
            qCWarning(lcCache) << "cannot write" << path << file.errorString();
            return;
        }
        qCDebug(lcCache) << "saved" << header.tableName() << rows.size() << "rows at" << header.seq;
    });
}

void CacheStore::remove(const CacheIdentity &identity, const QString &table)
{
    const QString path = tablePath(identity, table);
    m_worker.start([path] { QFile::remove(path); });
}

} // namespace Aiodata::Internal
