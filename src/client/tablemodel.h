#pragma once

#include "aiodata_export.h"
#include "tableschema.h"

#include <QAbstractTableModel>
#include <QVariantList>
#include <QVariantMap>

#include <memory>

namespace Aiodata {

class Reply;
class TableModelPrivate;

// A live copy of one table: one column per table column, rows sorted by
// primary key. The Client fills it and applies the server's events with
// exact row-level signals (never a reset after the first fill). Writes go to
// the server; the rows change when the resulting event arrives.
//
// A subset model (Client::model(table, query)) holds the rows of a PostgREST
// query instead, with the columns of its select= and the key: rows that come
// to match are inserted, rows that stop matching are removed.
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
    // A subset model's query as given to Client::model(); empty for a whole table.
    Q_PROPERTY(QString query READ query CONSTANT)
    // The first fill is in: the rows are the server's (and follow it while connected).
    Q_PROPERTY(bool loaded READ isLoaded NOTIFY loadedChanged)
    // Why a subset model is not live: the server refused its query (the
    // REST API's message and details); empty otherwise.
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
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
    QString query() const;
    bool isLoaded() const;
    QString errorString() const;
    QString errorCode() const; // the server's code: a SQLSTATE (42703) or PGRSTnnn

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

Q_SIGNALS:
    void countChanged();
    void privilegesChanged(); // editable, canInsert, canDelete
    // Events that reached this table (rows as QVariantMap each); updated
    // carries old and new rows pairwise.
    void created(const QVariantList &rows);
    void updated(const QVariantList &oldRows, const QVariantList &newRows);
    void deleted(const QVariantList &rows);
    // A TRUNCATE emptied the table: the rows went without deleted() (the
    // server's event carries none), after the usual row signals.
    void truncated();
    void writeFailed(const QString &errorString); // e.g. a refused setData
    void loadedChanged();
    // A subset model's subscription was refused or ended by the server
    // (bad query, unknown column, too many subscriptions): the rows stop
    // following the server.
    void errorOccurred(const QString &errorString);

private:
    // What Client does to the model (tablemodel_p.h); TableModelPrivate::get()
    // reaches d, as with Q_DECLARE_PRIVATE.
    friend class TableModelPrivate;
    std::unique_ptr<TableModelPrivate> const d;
};

} // namespace Aiodata
