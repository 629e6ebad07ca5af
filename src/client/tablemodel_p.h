#pragma once

// Internal to the client library: not installed, not exported. TableModel's
// d-pointer, and what Client (and the internal readers) do to a model: its
// write transport, its privileges, the snapshot and the events.

#include "tablemodel.h"

#include "logging_p.h"
#include "packedrow.h"
#include "reply.h"
#include "reply_p.h"
#include "writetransport.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>

namespace Aiodata {

class TableModelPrivate
{
public:
    // One row: the cell values in column order, packed (packedrow.h). Nulls
    // decode as QVariant::fromValue(nullptr), like QJsonValue::toVariant() gives them.
    using Row = Internal::PackedRow;

    static TableModelPrivate *get(TableModel *model) { return model->d.get(); }

    // The transport for writes; none: writes fail with "Not connected".
    void setWriteTransport(WriteTransport *transport);
    // A GRANT or REVOKE on the server (the schema was reloaded): the
    // privileges of schema replace ours; privilegesChanged() if any differ.
    void updatePrivileges(const TableSchema &newSchema);
    // Replaces the content with a snapshot by merging: rows that stayed the
    // same emit nothing, changed rows dataChanged, others insert/remove runs.
    void replaceRows(const QJsonArray &snapshot);
    // The same from the body of GET /query/<table> (a JSON array of objects),
    // read straight into the model's compact rows; any other JSON is read as
    // replaceRows(QJsonDocument::fromJson(json).array()) would. False (with a
    // warning) if json is no JSON array: the model then keeps its rows.
    bool replaceRowsFromJson(const QByteArray &json);
    // A snapshot read while it arrived (Internal::SnapshotReader), as rows;
    // or, when the reader could not, the body read by QJsonDocument.
    void replaceRowsRead(QList<Row> &&batch);
    bool replaceRowsFromDocument(const QByteArray &json, const QString &whyNotRead);
    // Idempotent by primary key: create of a present key replaces it, delete
    // of an absent key does nothing, update = remove old key + upsert new row.
    void applyCreated(const QJsonArray &created);
    void applyUpdated(const QJsonArray &oldRows, const QJsonArray &newRows);
    void applyDeleted(const QJsonArray &deleted);
    // TRUNCATE: every row goes (removal runs), then truncated().
    void applyTruncated();
    // The first fill is in (loadedChanged once).
    void setLoaded();
    // The server refused or ended a subset's subscription.
    void setError(const QString &code, const QString &message);

    TableModel *q = nullptr;
    TableSchema schema;
    QStringList columnNames;
    QList<int> keyColumns; // column indexes in key order; empty: no usable key
    QList<Row> rows;       // sorted by key when there is one, else arrival order
    WriteTransport *transport = nullptr;
    mutable QByteArray scratch; // a row being built, reused
    // A subset model: the client's id of its subscription, and its query.
    QString subsetId;
    QString query;
    bool loaded = false;
    QString errorCode;
    QString errorString;

    bool hasKey() const { return !keyColumns.isEmpty(); }
    bool isSubset() const { return !subsetId.isEmpty(); }

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
        TableModelPrivate *d;
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
        QTimer::singleShot(0, reply, [reply, message] {
            ReplyPrivate::get(reply)->finish(Reply::NetworkError, message, 0, {});
        });
        return reply;
    }};

} // namespace Aiodata
