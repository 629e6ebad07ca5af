#pragma once

#include "aiodata_export.h"
#include "tableschema.h"

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QVariantList>
#include <QVariantMap>

#include <memory>

namespace Aiodata {

class Reply;
class WriteTransport;
namespace Internal {
class PackedRow;
class SnapshotReader;
}

// A live copy of one table: one column per table column, rows sorted by
// primary key. The Client fills it and applies the server's events with
// exact row-level signals (never a reset after the first fill). Writes go to
// the server; the rows change when the resulting event arrives.
class AIODATA_EXPORT TableModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_MOC_INCLUDE("reply.h") // as in client.h: Reply complete for moc's code
    Q_PROPERTY(QString name READ name CONSTANT)
    Q_PROPERTY(QStringList columnNames READ columnNames CONSTANT)
    Q_PROPERTY(QStringList primaryKey READ primaryKey CONSTANT)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(bool editable READ isEditable NOTIFY privilegesChanged)
    Q_PROPERTY(bool canInsert READ canInsert NOTIFY privilegesChanged)
    Q_PROPERTY(bool canDelete READ canDelete NOTIFY privilegesChanged)
    // For QML, which cannot read TableSchema: one map per column (name, type,
    // primaryKey, nullable, hasDefault, comment, references).
    Q_PROPERTY(QVariantList columns READ columns CONSTANT)
public:
    explicit TableModel(const TableSchema &schema, QObject *parent = nullptr);
    ~TableModel() override;

    QString name() const;
    const TableSchema &schema() const;
    QStringList columnNames() const;
    QStringList primaryKey() const;
    int count() const;
    bool isEditable() const; // the role may UPDATE this table
    bool canInsert() const;
    bool canDelete() const;
    QVariantList columns() const;

    // QAbstractItemModel
    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    QHash<int, QByteArray> roleNames() const override;

    // Reading the cache, synchronously.
    Q_INVOKABLE QVariantMap row(int row) const;              // column -> value; empty if out of range
    Q_INVOKABLE QVariantList get(const QVariantList &keyPrefix = {}) const; // rows whose key starts with keyPrefix
    Q_INVOKABLE int indexOfKey(const QVariantList &key) const; // row of a full key, -1 if absent
    Q_INVOKABLE QVariantList keyOf(int row) const;

    // Writing through the server.
    // makeRow({"Fish", "Koi", "Aqui"}, {{"color", 3}}): positional values fill
    // the key columns in order, named values the rest.
    QVariantMap makeRow(const QVariantList &keyValues, const QVariantMap &values = {}) const;
    // Invokable so that QML passes a JS object or an array of objects.
    Q_INVOKABLE Aiodata::Reply *create(const QVariantMap &row);
    Q_INVOKABLE Aiodata::Reply *create(const QList<QVariantMap> &rows); // one statement, one event
    Q_INVOKABLE Aiodata::Reply *update(const QVariantList &keyPrefix, const QVariantMap &values);
    Q_INVOKABLE Aiodata::Reply *remove(const QVariantList &keyPrefix);

    // Used by Client: the transport for writes, the snapshot and the events.
    void setWriteTransport(WriteTransport *transport);
    // A GRANT or REVOKE on the server (the schema was reloaded): the
    // privileges of schema replace ours; privilegesChanged() if any differ.
    void updatePrivileges(const TableSchema &schema);
    // Replaces the content with a snapshot by merging: rows that stayed the
    // same emit nothing, changed rows dataChanged, others insert/remove runs.
    void replaceRows(const QJsonArray &rows);
    // The same from the body of GET /query/<table> (a JSON array of objects),
    // read straight into the model's compact rows; any other JSON is read as
    // replaceRows(QJsonDocument::fromJson(json).array()) would. False (with a
    // warning) if json is no JSON array: the model then keeps its rows.
    bool replaceRowsFromJson(const QByteArray &json);
    // Idempotent by primary key: create of a present key replaces it, delete
    // of an absent key does nothing, update = remove old key + upsert new row.
    void applyCreated(const QJsonArray &rows);
    void applyUpdated(const QJsonArray &oldRows, const QJsonArray &newRows);
    void applyDeleted(const QJsonArray &rows);

Q_SIGNALS:
    void countChanged();
    void privilegesChanged(); // editable, canInsert, canDelete
    // Events that reached this table (rows as QVariantMap each); updated
    // carries old and new rows pairwise.
    void created(const QVariantList &rows);
    void updated(const QVariantList &oldRows, const QVariantList &newRows);
    void deleted(const QVariantList &rows);
    void writeFailed(const QString &errorString); // e.g. a refused setData

private:
    // A snapshot read while it arrived (Client's SnapshotReader), as rows;
    // or, when the reader could not, the body read by QJsonDocument.
    friend class Internal::SnapshotReader;
    void replaceRowsRead(QList<Internal::PackedRow> &&rows);
    bool replaceRowsFromDocument(const QByteArray &json, const QString &whyNotRead);

    struct Private;
    std::unique_ptr<Private> const d;
};

} // namespace Aiodata
