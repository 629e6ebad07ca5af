#include "snapshotreader.h"

#include "tablemodel_p.h"

namespace Aiodata::Internal {

// A Content-Length above this is not trusted for one allocation up front.
constexpr qint64 MaxReserve = qint64(256) << 20;

SnapshotReader::SnapshotReader(TableModel *model)
    : m_model(model)
    , m_reader(model->columnNames())
{
}

void SnapshotReader::append(const QByteArray &piece, qint64 bodySize)
{
    if (m_body.isEmpty() && bodySize > 0 && bodySize <= MaxReserve) {
        // One buffer for the body instead of a doubling series, and a list of
        // rows sized from the first ones.
        m_body.reserve(qsizetype(bodySize));
        m_reader.begin(qsizetype(bodySize));
    }
    m_body.append(piece);
    m_reader.feed(m_body, false);
}

bool SnapshotReader::finish()
{
    if (m_reader.feed(m_body, true)) {
        TableModelPrivate::get(m_model)->replaceRowsRead(m_reader.takeRows());
        return true;
    }
    // Another shape: the reader has said so; QJsonDocument reads the body.
    return TableModelPrivate::get(m_model)->replaceRowsFromDocument(m_body, m_reader.errorString());
}

} // namespace Aiodata::Internal
