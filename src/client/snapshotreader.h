#pragma once

// Internal to the client library: not installed, not exported.

#include "jsonrowreader.h"

#include <QByteArray>

namespace Aiodata {
class TableModel;
}

namespace Aiodata::Internal {

// A snapshot (the body of GET /query/<table>) read into a model while it
// arrives: each piece's complete rows are read as it comes, so that little
// is left to read when the transfer ends (docs/performance.md, figure 6).
// finish() leaves the model as TableModel::replaceRowsFromJson() of the
// whole body would, also for a body of another shape.
class SnapshotReader
{
public:
    explicit SnapshotReader(TableModel *model);
    Q_DISABLE_COPY_MOVE(SnapshotReader)

    // bodySize: the Content-Length, if known, given with the first piece.
    void append(const QByteArray &piece, qint64 bodySize = -1);
    // False if the body is no JSON array: the model keeps its rows.
    bool finish();

private:
    TableModel *m_model;
    JsonRowReader m_reader;
    QByteArray m_body; // kept whole for a body of another shape
};

} // namespace Aiodata::Internal
