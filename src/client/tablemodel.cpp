#include "tablemodel.h"
#include "tablemodel_p.h"

#include <QSet>

#include "jsonrowreader.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QTimer>

#include <algorithm>
#include <climits>

namespace Aiodata {

namespace {

using Row = TableModelPrivate::Row;

QByteArray toJson(const QJsonValue &value)
{
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

} // namespace


TableModel::TableModel(const TableSchema &schema, QObject *parent)
    : QAbstractTableModel(parent)
    , d(new TableModelPrivate)
{
    d->q = this;
    d->schema = schema;
    for (const ColumnSchema &column : schema.columns)
        d->columnNames.append(column.name);
    d->keyColumns = schema.primaryKeyColumns();
    if (d->keyColumns.contains(-1)) {
        qCWarning(lcModel) << "table" << schema.name << "has a primary key on unknown columns; rows keep arrival order";
        d->keyColumns.clear();
    }
}

TableModel::~TableModel() = default;

QString TableModel::name() const { return d->schema.name; }
const TableSchema &TableModel::schema() const { return d->schema; }
QStringList TableModel::columnNames() const { return d->columnNames; }
QStringList TableModel::primaryKey() const { return d->schema.primaryKey; }
int TableModel::count() const { return int(d->rows.size()); }
bool TableModel::isEditable() const { return d->schema.canUpdate; }
bool TableModel::canInsert() const { return d->schema.canInsert; }
bool TableModel::canDelete() const { return d->schema.canDelete; }
QString TableModel::query() const { return d->query; }
bool TableModel::isLoaded() const { return d->loaded; }
QString TableModel::errorString() const { return d->errorString; }
QString TableModel::errorCode() const { return d->errorCode; }

QVariantList TableModel::columns() const
{
    QVariantList result;
    result.reserve(d->schema.columns.size());
    for (const ColumnSchema &column : d->schema.columns) {
        QVariantMap map{
            {QStringLiteral("name"), column.name},
            {QStringLiteral("type"), column.type},
            {QStringLiteral("primaryKey"), column.isPrimaryKey()},
            {QStringLiteral("nullable"), column.nullable},
            {QStringLiteral("hasDefault"), column.hasDefault},
            {QStringLiteral("comment"), column.comment},
        };
        if (!column.referencedTable.isEmpty())
            map.insert(QStringLiteral("references"), QVariantMap{{QStringLiteral("table"), column.referencedTable},
                                                                 {QStringLiteral("column"), column.referencedColumn}});
        result.append(map);
    }
    return result;
}

int TableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d->rows.size());
}

int TableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d->columnNames.size());
}

QVariant TableModel::data(const QModelIndex &index, int role) const
{
    if (!d->isCell(index))
        return QVariant();
    const Row &row = d->rows.at(index.row());
    if (role == Qt::DisplayRole) {
        // Views show a jsonb or array cell as its JSON text, which the row
        // keeps compacted: no parse per paint. EditRole and the column
        // roles keep the structured value.
        const Row::Cell cell = row.cell(index.column());
        if (cell.tag == Row::Json)
            return QString::fromUtf8(cell.data, cell.size);
        return cell.toVariant();
    }
    if (role == Qt::EditRole)
        return row.value(index.column());
    // Column roles let QML delegates read any column of the row as model.<column>.
    const int column = role - (Qt::UserRole + 1);
    if (column >= 0 && column < d->columnNames.size())
        return row.value(column);
    return QVariant();
}

QVariant TableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (role == Qt::DisplayRole && section >= 0 && section < d->rows.size())
            return section + 1;
        return QVariant();
    }
    if (section < 0 || section >= d->schema.columns.size())
        return QVariant();
    const ColumnSchema &column = d->schema.columns.at(section);
    if (role == Qt::DisplayRole)
        return column.name;
    if (role == Qt::ToolTipRole) {
        if (column.comment.isEmpty())
            return column.type;
        return tr("%1\n%2", "column tooltip: type, comment").arg(column.type, column.comment);
    }
    return QVariant();
}

Qt::ItemFlags TableModel::flags(const QModelIndex &index) const
{
    if (!d->isCell(index))
        return Qt::NoItemFlags;
    Qt::ItemFlags flags = Qt::ItemIsSelectable | Qt::ItemIsEnabled;
    // Edits address their row by key: without one there is nothing to PATCH.
    if (d->schema.canUpdate && d->hasKey())
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool TableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    // EditRole edits the index's cell; a column role (what a QML delegate's
    // model.<column> = value writes) edits that column of the index's row.
    int column = index.column();
    if (role != Qt::EditRole) {
        column = role - (Qt::UserRole + 1);
        if (column < 0 || column >= d->columnNames.size() || !d->isCell(index))
            return false;
    }
    if (!d->transport || !(flags(index.siblingAtColumn(column)) & Qt::ItemIsEditable))
        return false;
    if (Row::sameValue(d->rows.at(index.row()).value(column), value))
        return false;

    // The model changes when the server's event arrives, not here.
    const QVariantList key = keyOf(index.row());
    QJsonObject body;
    body.insert(d->columnNames.at(column), QJsonValue::fromVariant(value));
    Reply *reply = d->send("PATCH", key, toJson(body));
    connect(reply, &Reply::finished, this, [this, reply, key, column] {
        // Nobody else holds this reply: free it once handled.
        reply->deleteLater();
        if (reply->error() == Reply::NoError)
            return;
        Q_EMIT writeFailed(reply->errorString());
        // Views still show the edited text: make them read the cell again.
        const int row = indexOfKey(key);
        if (row >= 0)
            Q_EMIT dataChanged(this->index(row, column), this->index(row, column));
    });
    return true;
}

QHash<int, QByteArray> TableModel::roleNames() const
{
    QHash<int, QByteArray> roles = QAbstractTableModel::roleNames();
    for (qsizetype i = 0; i < d->columnNames.size(); ++i)
        roles.insert(Qt::UserRole + 1 + int(i), d->columnNames.at(i).toUtf8());
    return roles;
}

QVariantMap TableModel::row(int row) const
{
    if (row < 0 || row >= d->rows.size())
        return {};
    return d->toMap(d->rows.at(row));
}

QVariantList TableModel::get(const QVariantList &keyPrefix) const
{
    qsizetype first = 0;
    qsizetype last = d->rows.size();
    if (!keyPrefix.isEmpty()) {
        if (keyPrefix.size() > d->keyColumns.size())
            return {};
        std::tie(first, last) = d->prefixRange(keyPrefix);
    }
    QVariantList result;
    result.reserve(last - first);
    for (qsizetype i = first; i < last; ++i)
        result.append(d->toMap(d->rows.at(i)));
    return result;
}

int TableModel::indexOfKey(const QVariantList &key) const
{
    if (!d->hasKey() || key.size() != d->keyColumns.size())
        return -1;
    const auto [first, last] = d->prefixRange(key);
    return first < last ? int(first) : -1;
}

QVariantList TableModel::keyOf(int row) const
{
    if (row < 0 || row >= d->rows.size())
        return {};
    QVariantList key;
    key.reserve(d->keyColumns.size());
    for (int column : std::as_const(d->keyColumns))
        key.append(d->rows.at(row).value(column));
    return key;
}

QVariantMap TableModel::makeRow(const QVariantList &keyValues, const QVariantMap &values) const
{
    QVariantMap result;
    const QStringList &key = d->schema.primaryKey;
    if (keyValues.size() > key.size())
        qCWarning(lcModel) << d->schema.name << "makeRow: more key values than key columns, extra ones ignored";
    for (qsizetype i = 0; i < keyValues.size() && i < key.size(); ++i)
        result.insert(key.at(i), keyValues.at(i));
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        result.insert(it.key(), it.value());
    return result;
}

Reply *TableModel::create(const QVariantMap &row)
{
    return d->send("POST", {}, toJson(QJsonObject::fromVariantMap(row)));
}

Reply *TableModel::create(const QList<QVariantMap> &rows)
{
    QJsonArray array;
    for (const QVariantMap &row : rows)
        array.append(QJsonObject::fromVariantMap(row));
    return d->send("POST", {}, toJson(array));
}

Reply *TableModel::update(const QVariantList &keyPrefix, const QVariantMap &values)
{
    return d->send("PATCH", keyPrefix, toJson(QJsonObject::fromVariantMap(values)));
}

Reply *TableModel::remove(const QVariantList &keyPrefix)
{
    return d->send("DELETE", keyPrefix, QByteArray());
}

void TableModelPrivate::updatePrivileges(const TableSchema &newSchema)
{
    TableSchema &ours = schema;
    if (ours.canSelect == newSchema.canSelect && ours.canInsert == newSchema.canInsert
        && ours.canUpdate == newSchema.canUpdate && ours.canDelete == newSchema.canDelete)
        return;
    ours.canSelect = newSchema.canSelect;
    ours.canInsert = newSchema.canInsert;
    ours.canUpdate = newSchema.canUpdate;
    ours.canDelete = newSchema.canDelete;
    qCDebug(lcModel) << ours.name << "privileges changed";
    Q_EMIT q->privilegesChanged();
}

void TableModelPrivate::setLoaded()
{
    if (loaded)
        return;
    loaded = true;
    Q_EMIT q->loadedChanged();
}

void TableModelPrivate::setError(const QString &code, const QString &message)
{
    qCWarning(lcModel).noquote() << schema.name << query << "subset refused:" << code << message;
    errorCode = code;
    errorString = message;
    Q_EMIT q->errorOccurred(message);
}

void TableModelPrivate::setWriteTransport(WriteTransport *writeTransport)
{
    transport = writeTransport;
}

void TableModelPrivate::replaceRows(const QJsonArray &snapshot)
{
    QList<Row> batch;
    batch.reserve(snapshot.size());
    for (const QJsonValue &value : snapshot) {
        batch.append(rowFromJson(value.toObject()));
        fillMissing(batch.last(), nullptr);
    }
    replaceAll(std::move(batch));
}

void TableModelPrivate::replaceRowsRead(QList<Row> &&batch)
{
    replaceAll(std::move(batch));
}

bool TableModelPrivate::replaceRowsFromJson(const QByteArray &json)
{
    QList<Row> batch;
    Internal::JsonRowReader reader(columnNames);
    if (reader.read(json, &batch)) {
        replaceAll(std::move(batch));
        return true;
    }
    return replaceRowsFromDocument(json, reader.errorString());
}

bool TableModelPrivate::replaceRowsFromDocument(const QByteArray &json, const QString &whyNotRead)
{
    // Not the shape the server sends: QJsonDocument reads it as before.
    qCDebug(lcModel) << schema.name << "snapshot read with QJsonDocument:" << whyNotRead;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    // Not a snapshot at all: keep the rows we have rather than empty the
    // table; the caller reports it.
    if (error.error != QJsonParseError::NoError) {
        qCWarning(lcModel).noquote() << schema.name << "snapshot is not valid JSON:" << error.errorString() << "at offset" << error.offset;
        return false;
    }
    if (!doc.isArray()) {
        qCWarning(lcModel).noquote() << schema.name << "snapshot is not a JSON array";
        return false;
    }
    replaceRows(doc.array());
    return true;
}

void TableModelPrivate::applyCreated(const QJsonArray &created)
{
    QList<Row> batch;
    batch.reserve(created.size());
    for (const QJsonValue &value : created) {
        batch.append(rowFromJson(value.toObject()));
        fillMissing(batch.last(), nullptr);
    }
    const qsizetype before = rows.size();
    if (hasKey()) {
        sortUnique(batch);
        merge(batch, false);
    } else {
        insertRun(rows.size(), batch.cbegin(), batch.cend());
    }
    qCDebug(lcModel) << schema.name << "created" << created.size() << "rows";
    emitCountChanged(before);
    Q_EMIT q->created(created.toVariantList());
}

void TableModelPrivate::applyUpdated(const QJsonArray &oldRows, const QJsonArray &newRows)
{
    if (oldRows.size() != newRows.size())
        qCWarning(lcModel) << schema.name << "update event with" << oldRows.size() << "old and" << newRows.size() << "new rows";
    const qsizetype before = rows.size();
    const qsizetype pairs = std::min(oldRows.size(), newRows.size());
    QList<qsizetype> taken; // unkeyed: rows already matched in this batch
    // Signals carry whole rows: the cached old row and the merged new one,
    // even when the event carried only keys or left out unchanged values.
    QVariantList oldOut, newOut;
    for (qsizetype p = 0; p < pairs; ++p) {
        const QJsonObject oldObject = oldRows.at(p).toObject();
        Row newRow = rowFromJson(newRows.at(p).toObject());
        ChangeRun changes{this};
        if (hasKey()) {
            // The old image may carry only the key (replica identity); without it, assume the key stayed.
            Row oldRow = hasKeyValues(oldObject) ? rowFromJson(oldObject) : newRow;
            const qsizetype oldIndex = indexOfRow(oldRow);
            // Columns the new image lacks (unchanged TOAST values) keep their cached value.
            fillMissing(newRow, oldIndex >= 0 ? &rows.at(oldIndex) : nullptr);
            oldOut.append(oldIndex >= 0 ? QVariant(toMap(rows.at(oldIndex))) : QVariant(oldObject.toVariantMap()));
            newOut.append(toMap(newRow));
            qsizetype at = oldIndex;
            if (compareKeys(oldRow, newRow) != 0) {
                removeRun(oldIndex, oldIndex >= 0 ? 1 : 0);
                at = indexOfRow(newRow);
            }
            if (at >= 0) {
                replaceAt(at, std::move(newRow), changes);
            } else {
                const QList<Row> one{newRow};
                insertRun(lowerBound(newRow), one.cbegin(), one.cend());
            }
        } else {
            Row oldRow = rowFromJson(oldObject);
            fillMissing(oldRow, nullptr);
            const qsizetype at = findUnkeyed(oldRow, taken);
            fillMissing(newRow, at >= 0 ? &rows.at(at) : nullptr);
            oldOut.append(at >= 0 ? QVariant(toMap(rows.at(at))) : QVariant(oldObject.toVariantMap()));
            newOut.append(toMap(newRow));
            if (at >= 0) {
                taken.append(at);
                replaceAt(at, std::move(newRow), changes);
            } else {
                const QList<Row> one{newRow};
                insertRun(rows.size(), one.cbegin(), one.cend());
            }
        }
        changes.flush();
    }
    qCDebug(lcModel) << schema.name << "updated" << pairs << "rows";
    emitCountChanged(before);
    Q_EMIT q->updated(oldOut, newOut);
}

void TableModelPrivate::applyTruncated()
{
    replaceRows(QJsonArray());
    Q_EMIT q->truncated();
}

void TableModelPrivate::applyDeleted(const QJsonArray &deleted)
{
    QList<qsizetype> indexes;
    for (const QJsonValue &value : deleted) {
        Row row = rowFromJson(value.toObject());
        fillMissing(row, nullptr);
        const qsizetype i = hasKey() ? indexOfRow(row) : findUnkeyed(row, indexes);
        if (i >= 0)
            indexes.append(i);
    }
    // The signal carries the cached whole rows in event order (the event may
    // carry keys only); an absent key was never ours to show: not reported.
    QVariantList removed;
    QSet<qsizetype> seen;
    for (qsizetype i : std::as_const(indexes)) {
        if (!seen.contains(i)) {
            seen.insert(i);
            removed.append(toMap(rows.at(i)));
        }
    }
    std::sort(indexes.begin(), indexes.end());
    indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());

    // Bottom up, so the row numbers of runs still to remove stay valid.
    const qsizetype before = rows.size();
    qsizetype end = indexes.size();
    while (end > 0) {
        qsizetype start = end - 1;
        while (start > 0 && indexes.at(start - 1) == indexes.at(start) - 1)
            --start;
        removeRun(indexes.at(start), end - start);
        end = start;
    }
    qCDebug(lcModel) << schema.name << "deleted" << before - rows.size() << "of" << deleted.size() << "rows";
    emitCountChanged(before);
    if (!removed.isEmpty())
        Q_EMIT q->deleted(removed);
}

} // namespace Aiodata
