#include "tablemodel.h"

#include <QSet>

#include "jsonrowreader.h"
#include "logging_p.h"
#include "packedrow.h"
#include "reply.h"
#include "writetransport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QTimer>

#include <algorithm>
#include <climits>

namespace Aiodata {

namespace {

// One row: the cell values in column order, packed (packedrow.h). Nulls
// decode as QVariant::fromValue(nullptr), like QJsonValue::toVariant() gives them.
using Row = Internal::PackedRow;

QByteArray toJson(const QJsonValue &value)
{
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

} // namespace

struct TableModel::Private
{
    TableModel *q = nullptr;
    TableSchema schema;
    QStringList columnNames;
    QList<int> keyColumns; // column indexes in key order; empty: no usable key
    QList<Row> rows;       // sorted by key when there is one, else arrival order
    WriteTransport *transport = nullptr;
    mutable QByteArray scratch; // a row being built, reused

    bool hasKey() const { return !keyColumns.isEmpty(); }

    // Like checkIndex(), without its warnings: views legitimately ask about invalid indexes.
    bool isCell(const QModelIndex &index) const
    {
        return index.isValid() && index.model() == q && index.row() < rows.size()
            && index.column() < columnNames.size();
    }

    // Missing columns stay invalid so callers can tell them from nulls.
    Row rowFromJson(const QJsonObject &object) const
    {
        QByteArray &bytes = scratch;
        bytes.resize(0);
        for (const QString &column : columnNames) {
            const auto it = object.constFind(column);
            if (it == object.constEnd())
                Row::appendMissing(bytes);
            else
                Row::appendJsonValue(bytes, it.value());
        }
        // Rows are kept: one exact-size allocation, no slack.
        return Row(QByteArray(bytes.constData(), bytes.size()));
    }

    void fillMissing(Row &row, const Row *from) const
    {
        const int columns = int(columnNames.size());
        if (!row.hasMissing(columns))
            return;
        QByteArray &bytes = scratch;
        bytes.resize(0);
        const char *p = row.bytes().constData();
        const char *f = from ? from->bytes().constData() : nullptr;
        for (int i = 0; i < columns; ++i) {
            const Row::Cell cell = Row::readCell(p);
            const Row::Cell fromCell = f ? Row::readCell(f) : Row::Cell();
            if (cell.tag != Row::Missing)
                Row::appendCell(bytes, cell);
            else if (f)
                Row::appendCell(bytes, fromCell);
            else
                Row::appendNull(bytes);
        }
        row = Row(QByteArray(bytes.constData(), bytes.size()));
    }

    bool hasKeyValues(const QJsonObject &object) const
    {
        for (int column : keyColumns) {
            if (!object.contains(columnNames.at(column)))
                return false;
        }
        return true;
    }

    QVariantMap toMap(const Row &row) const
    {
        QVariantMap map;
        const char *p = row.bytes().constData();
        for (qsizetype i = 0; i < columnNames.size(); ++i)
            map.insert(columnNames.at(i), Row::readCell(p).toVariant());
        return map;
    }

    int compareKeys(const Row &a, const Row &b) const
    {
        for (int column : keyColumns) {
            if (const int c = Row::compare(a.cell(column), b.cell(column)))
                return c;
        }
        return 0;
    }

    // Compares the row's first prefix.size() key values with prefix.
    int comparePrefix(const Row &row, const QVariantList &prefix) const
    {
        for (qsizetype i = 0; i < prefix.size(); ++i) {
            if (const int c = Row::compareValues(row.value(keyColumns.at(i)), prefix.at(i)))
                return c;
        }
        return 0;
    }

    // First row at or after from whose key is not less than row's key.
    qsizetype lowerBound(const Row &row, qsizetype from = 0) const
    {
        const auto it = std::lower_bound(rows.cbegin() + from, rows.cend(), row,
                                         [this](const Row &a, const Row &b) { return compareKeys(a, b) < 0; });
        return it - rows.cbegin();
    }

    // [first, last) of the rows whose key starts with prefix.
    std::pair<qsizetype, qsizetype> prefixRange(const QVariantList &prefix) const
    {
        const auto first = std::lower_bound(rows.cbegin(), rows.cend(), prefix,
                                            [this](const Row &row, const QVariantList &p) { return comparePrefix(row, p) < 0; });
        const auto last = std::upper_bound(first, rows.cend(), prefix,
                                           [this](const QVariantList &p, const Row &row) { return comparePrefix(row, p) > 0; });
        return {first - rows.cbegin(), last - rows.cbegin()};
    }

    qsizetype indexOfRow(const Row &row) const
    {
        if (!hasKey())
            return -1;
        const qsizetype i = lowerBound(row);
        return i < rows.size() && compareKeys(rows.at(i), row) == 0 ? i : -1;
    }

    // Sorts by key; of duplicate keys the last one wins, as if applied in order.
    void sortUnique(QList<Row> &batch) const
    {
        // Snapshots and event batches usually arrive in key order already;
        // checking stops at the first pair out of order.
        bool increasing = true;
        for (qsizetype i = 1; i < batch.size() && increasing; ++i)
            increasing = compareKeys(batch.at(i - 1), batch.at(i)) < 0;
        if (increasing)
            return; // sorted, and no key twice
        std::stable_sort(batch.begin(), batch.end(), [this](const Row &a, const Row &b) { return compareKeys(a, b) < 0; });
        QList<Row> unique;
        unique.reserve(batch.size());
        for (Row &row : batch) {
            if (!unique.isEmpty() && compareKeys(unique.last(), row) == 0)
                unique.last() = std::move(row);
            else
                unique.append(std::move(row));
        }
        batch = std::move(unique);
    }

    // The [first, last] columns where the rows differ; {-1, -1} if equal.
    static std::pair<int, int> changedColumns(const Row &a, const Row &b)
    {
        // Rows of one model have the same number of cells.
        int first = -1;
        int last = -1;
        const char *p = a.bytes().constData();
        const char *q = b.bytes().constData();
        const char *end = p + a.bytes().size();
        for (int i = 0; p < end; ++i) {
            if (!Row::same(Row::readCell(p), Row::readCell(q))) {
                if (first < 0)
                    first = i;
                last = i;
            }
        }
        return {first, last};
    }

    void removeRun(qsizetype first, qsizetype count)
    {
        if (count <= 0)
            return;
        q->beginRemoveRows(QModelIndex(), int(first), int(first + count - 1));
        rows.remove(first, count);
        q->endRemoveRows();
    }

    void insertRun(qsizetype at, QList<Row>::const_iterator begin, QList<Row>::const_iterator end)
    {
        if (begin == end)
            return;
        q->beginInsertRows(QModelIndex(), int(at), int(at + (end - begin) - 1));
        rows.insert(at, end - begin, Row());
        std::copy(begin, end, rows.begin() + at);
        q->endInsertRows();
    }

    // Collects replaced rows so that contiguous rows changed over the same
    // columns go out as one dataChanged, and each signal stays exact.
    struct ChangeRun
    {
        Private *d;
        qsizetype first = -1;
        qsizetype last = -1;
        std::pair<int, int> columns{-1, -1};

        void add(qsizetype row, std::pair<int, int> changed)
        {
            if (first >= 0 && row == last + 1 && changed == columns) {
                last = row;
                return;
            }
            flush();
            first = last = row;
            columns = changed;
        }
        void flush()
        {
            if (first < 0)
                return;
            Q_EMIT d->q->dataChanged(d->q->index(int(first), columns.first), d->q->index(int(last), columns.second));
            first = last = -1;
        }
    };

    // Replaces rows[i] with row, reporting changed cells to run.
    void replaceAt(qsizetype i, Row &&row, ChangeRun &run)
    {
        const auto changed = changedColumns(rows.at(i), row);
        if (changed.first < 0)
            return;
        rows[i] = std::move(row);
        run.add(i, changed);
    }

    // Merges a batch sorted by key into the rows in one pass: equal keys are
    // replaced, new keys inserted in runs; rows missing from the batch are
    // removed in runs when removeMissing (a snapshot), else kept (an upsert).
    void merge(const QList<Row> &batch, bool removeMissing)
    {
        ChangeRun changes{this};
        qsizetype i = 0;
        qsizetype j = 0;
        const qsizetype n = batch.size();
        while (j < n || (removeMissing && i < rows.size())) {
            if (i < rows.size() && (j == n || compareKeys(rows.at(i), batch.at(j)) < 0)) {
                if (!removeMissing) {
                    i = lowerBound(batch.at(j), i);
                    continue;
                }
                qsizetype end = i + 1;
                while (end < rows.size() && (j == n || compareKeys(rows.at(end), batch.at(j)) < 0))
                    ++end;
                changes.flush(); // row numbers move
                removeRun(i, end - i);
            } else if (i == rows.size() || compareKeys(rows.at(i), batch.at(j)) > 0) {
                qsizetype end = j + 1;
                while (end < n && (i == rows.size() || compareKeys(rows.at(i), batch.at(end)) > 0))
                    ++end;
                changes.flush();
                insertRun(i, batch.cbegin() + j, batch.cbegin() + end);
                i += end - j;
                j = end;
            } else {
                replaceAt(i, Row(batch.at(j)), changes);
                ++i;
                ++j;
            }
        }
        changes.flush();
    }

    // Without a key the only identity is the whole row: keep the common head
    // and tail of old and new, replace what lies between.
    void replaceUnkeyed(const QList<Row> &batch)
    {
        const auto equalRows = [](const Row &a, const Row &b) { return changedColumns(a, b).first < 0; };
        qsizetype head = 0;
        while (head < rows.size() && head < batch.size() && equalRows(rows.at(head), batch.at(head)))
            ++head;
        qsizetype tail = 0;
        while (tail < rows.size() - head && tail < batch.size() - head
               && equalRows(rows.at(rows.size() - 1 - tail), batch.at(batch.size() - 1 - tail)))
            ++tail;
        removeRun(head, rows.size() - head - tail);
        insertRun(head, batch.cbegin() + head, batch.cend() - tail);
    }

    // Unkeyed rows are matched by whole-row equality: first match not yet taken.
    qsizetype findUnkeyed(const Row &row, const QList<qsizetype> &taken) const
    {
        for (qsizetype i = 0; i < rows.size(); ++i) {
            if (!taken.contains(i) && changedColumns(rows.at(i), row).first < 0)
                return i;
        }
        return -1;
    }

    // A snapshot: merged into the rows, or replacing them when there is no key.
    void replaceAll(QList<Row> &&batch)
    {
        const qsizetype before = rows.size();
        if (hasKey() && rows.isEmpty()) {
            // A first fill: the signals merge() would send, without copying the rows.
            sortUnique(batch);
            if (!batch.isEmpty()) {
                q->beginInsertRows(QModelIndex(), 0, int(batch.size() - 1));
                rows = std::move(batch);
                q->endInsertRows();
            }
        } else if (hasKey()) {
            sortUnique(batch);
            merge(batch, true);
        } else {
            replaceUnkeyed(batch);
        }
        qCDebug(lcModel) << schema.name << "snapshot:" << before << "->" << rows.size() << "rows";
        emitCountChanged(before);
    }

    void emitCountChanged(qsizetype before)
    {
        if (rows.size() != before)
            Q_EMIT q->countChanged();
    }

    Reply *send(const QByteArray &method, const QVariantList &keyPrefix, const QByteArray &body)
    {
        qCDebug(lcModel) << schema.name << method << keyPrefix << body;
        Reply *reply = transport ? transport->sendWrite(method, schema.name, keyPrefix, body) : nullptr;
        if (reply)
            return reply;
        // Callers always get a finished signal, even without a connection.
        reply = new Reply(q);
        const QString message = TableModel::tr("Not connected");
        QTimer::singleShot(0, reply, [reply, message] { reply->finish(Reply::NetworkError, message, 0, {}); });
        return reply;
    }
};

TableModel::TableModel(const TableSchema &schema, QObject *parent)
    : QAbstractTableModel(parent)
    , d(new Private)
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
void TableModel::updatePrivileges(const TableSchema &schema)
{
    TableSchema &ours = d->schema;
    if (ours.canSelect == schema.canSelect && ours.canInsert == schema.canInsert && ours.canUpdate == schema.canUpdate
        && ours.canDelete == schema.canDelete)
        return;
    ours.canSelect = schema.canSelect;
    ours.canInsert = schema.canInsert;
    ours.canUpdate = schema.canUpdate;
    ours.canDelete = schema.canDelete;
    qCDebug(lcModel) << ours.name << "privileges changed";
    Q_EMIT privilegesChanged();
}

bool TableModel::isEditable() const { return d->schema.canUpdate; }
bool TableModel::canInsert() const { return d->schema.canInsert; }
bool TableModel::canDelete() const { return d->schema.canDelete; }

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

void TableModel::setWriteTransport(WriteTransport *transport)
{
    d->transport = transport;
}

void TableModel::replaceRows(const QJsonArray &rows)
{
    QList<Row> batch;
    batch.reserve(rows.size());
    for (const QJsonValue &value : rows) {
        batch.append(d->rowFromJson(value.toObject()));
        d->fillMissing(batch.last(), nullptr);
    }
    d->replaceAll(std::move(batch));
}

void TableModel::replaceRowsRead(QList<Internal::PackedRow> &&rows)
{
    d->replaceAll(std::move(rows));
}

bool TableModel::replaceRowsFromJson(const QByteArray &json)
{
    QList<Row> batch;
    Internal::JsonRowReader reader(d->columnNames);
    if (reader.read(json, &batch)) {
        d->replaceAll(std::move(batch));
        return true;
    }
    return replaceRowsFromDocument(json, reader.errorString());
}

bool TableModel::replaceRowsFromDocument(const QByteArray &json, const QString &whyNotRead)
{
    // Not the shape the server sends: QJsonDocument reads it as before.
    qCDebug(lcModel) << d->schema.name << "snapshot read with QJsonDocument:" << whyNotRead;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    // Not a snapshot at all: keep the rows we have rather than empty the
    // table; the caller reports it.
    if (error.error != QJsonParseError::NoError) {
        qCWarning(lcModel).noquote() << d->schema.name << "snapshot is not valid JSON:" << error.errorString() << "at offset" << error.offset;
        return false;
    }
    if (!doc.isArray()) {
        qCWarning(lcModel).noquote() << d->schema.name << "snapshot is not a JSON array";
        return false;
    }
    replaceRows(doc.array());
    return true;
}

void TableModel::applyCreated(const QJsonArray &rows)
{
    QList<Row> batch;
    batch.reserve(rows.size());
    for (const QJsonValue &value : rows) {
        batch.append(d->rowFromJson(value.toObject()));
        d->fillMissing(batch.last(), nullptr);
    }
    const qsizetype before = d->rows.size();
    if (d->hasKey()) {
        d->sortUnique(batch);
        d->merge(batch, false);
    } else {
        d->insertRun(d->rows.size(), batch.cbegin(), batch.cend());
    }
    qCDebug(lcModel) << d->schema.name << "created" << rows.size() << "rows";
    d->emitCountChanged(before);
    Q_EMIT created(rows.toVariantList());
}

void TableModel::applyUpdated(const QJsonArray &oldRows, const QJsonArray &newRows)
{
    if (oldRows.size() != newRows.size())
        qCWarning(lcModel) << d->schema.name << "update event with" << oldRows.size() << "old and" << newRows.size() << "new rows";
    const qsizetype before = d->rows.size();
    const qsizetype pairs = std::min(oldRows.size(), newRows.size());
    QList<qsizetype> taken; // unkeyed: rows already matched in this batch
    // Signals carry whole rows: the cached old row and the merged new one,
    // even when the event carried only keys or left out unchanged values.
    QVariantList oldOut, newOut;
    for (qsizetype p = 0; p < pairs; ++p) {
        const QJsonObject oldObject = oldRows.at(p).toObject();
        Row newRow = d->rowFromJson(newRows.at(p).toObject());
        Private::ChangeRun changes{d.get()};
        if (d->hasKey()) {
            // The old image may carry only the key (replica identity); without it, assume the key stayed.
            Row oldRow = d->hasKeyValues(oldObject) ? d->rowFromJson(oldObject) : newRow;
            const qsizetype oldIndex = d->indexOfRow(oldRow);
            // Columns the new image lacks (unchanged TOAST values) keep their cached value.
            d->fillMissing(newRow, oldIndex >= 0 ? &d->rows.at(oldIndex) : nullptr);
            oldOut.append(oldIndex >= 0 ? QVariant(d->toMap(d->rows.at(oldIndex))) : QVariant(oldObject.toVariantMap()));
            newOut.append(d->toMap(newRow));
            qsizetype at = oldIndex;
            if (d->compareKeys(oldRow, newRow) != 0) {
                d->removeRun(oldIndex, oldIndex >= 0 ? 1 : 0);
                at = d->indexOfRow(newRow);
            }
            if (at >= 0) {
                d->replaceAt(at, std::move(newRow), changes);
            } else {
                const QList<Row> one{newRow};
                d->insertRun(d->lowerBound(newRow), one.cbegin(), one.cend());
            }
        } else {
            Row oldRow = d->rowFromJson(oldObject);
            d->fillMissing(oldRow, nullptr);
            const qsizetype at = d->findUnkeyed(oldRow, taken);
            d->fillMissing(newRow, at >= 0 ? &d->rows.at(at) : nullptr);
            oldOut.append(at >= 0 ? QVariant(d->toMap(d->rows.at(at))) : QVariant(oldObject.toVariantMap()));
            newOut.append(d->toMap(newRow));
            if (at >= 0) {
                taken.append(at);
                d->replaceAt(at, std::move(newRow), changes);
            } else {
                const QList<Row> one{newRow};
                d->insertRun(d->rows.size(), one.cbegin(), one.cend());
            }
        }
        changes.flush();
    }
    qCDebug(lcModel) << d->schema.name << "updated" << pairs << "rows";
    d->emitCountChanged(before);
    Q_EMIT updated(oldOut, newOut);
}

void TableModel::applyDeleted(const QJsonArray &rows)
{
    QList<qsizetype> indexes;
    for (const QJsonValue &value : rows) {
        Row row = d->rowFromJson(value.toObject());
        d->fillMissing(row, nullptr);
        const qsizetype i = d->hasKey() ? d->indexOfRow(row) : d->findUnkeyed(row, indexes);
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
            removed.append(d->toMap(d->rows.at(i)));
        }
    }
    std::sort(indexes.begin(), indexes.end());
    indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());

    // Bottom up, so the row numbers of runs still to remove stay valid.
    const qsizetype before = d->rows.size();
    qsizetype end = indexes.size();
    while (end > 0) {
        qsizetype start = end - 1;
        while (start > 0 && indexes.at(start - 1) == indexes.at(start) - 1)
            --start;
        d->removeRun(indexes.at(start), end - start);
        end = start;
    }
    qCDebug(lcModel) << d->schema.name << "deleted" << before - d->rows.size() << "of" << rows.size() << "rows";
    d->emitCountChanged(before);
    if (!removed.isEmpty())
        Q_EMIT deleted(removed);
}

} // namespace Aiodata
