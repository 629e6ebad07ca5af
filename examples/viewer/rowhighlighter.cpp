#include "rowhighlighter.h"

#include <QBrush>

#include <algorithm>
#include <utility>

namespace Aiodata::Viewer {

namespace {
// Bulk changes (a re-sync after a reconnect) are not worth a fading row each.
constexpr qsizetype maxMarks = 200;
} // namespace

RowHighlighter::RowHighlighter(QObject *parent)
    : QIdentityProxyModel(parent)
{
    m_clock.start();
    m_timer.setInterval(100);
    connect(&m_timer, &QTimer::timeout, this, &RowHighlighter::tick);
}

void RowHighlighter::setSourceModel(QAbstractItemModel *model)
{
    if (sourceModel())
        disconnect(sourceModel(), nullptr, this, nullptr);
    m_marks.clear();
    QIdentityProxyModel::setSourceModel(model);
    if (!model)
        return;
    connect(model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parent, int first, int last) {
                if (!parent.isValid())
                    mark(first, last);
            });
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles) {
                if (std::exchange(m_ignoreNextChange, false))
                    return;
                if (roles.isEmpty() || roles.contains(Qt::DisplayRole) || roles.contains(Qt::EditRole))
                    mark(topLeft.row(), bottomRight.row());
            });
    connect(model, &QAbstractItemModel::modelReset, this, [this] { m_marks.clear(); });
}

void RowHighlighter::ignoreNextChange()
{
    m_ignoreNextChange = true;
    // Only for the signal that follows right away, never a later real change.
    QTimer::singleShot(0, this, [this] { m_ignoreNextChange = false; });
}

void RowHighlighter::setActive(bool active)
{
    m_active = active;
}

void RowHighlighter::mark(int first, int last)
{
    if (!m_active || !sourceModel())
        return;
    const qint64 now = m_clock.elapsed();
    for (int row = first; row <= last && row >= 0; ++row) {
        const QModelIndex source = sourceModel()->index(row, 0);
        auto it = std::find_if(m_marks.begin(), m_marks.end(), [row](const Mark &m) { return m.source.row() == row; });
        if (it != m_marks.end())
            it->start = now;
        else
            m_marks.append({QPersistentModelIndex(source), now});
        // The source reports only the changed cells; the colour spans the row.
        // (The base class forwarded the source's signal already: it connected first.)
        emitRowChanged(row);
    }
    if (m_marks.size() > maxMarks)
        m_marks.remove(0, m_marks.size() - maxMarks);
    if (!m_timer.isActive())
        m_timer.start();
}

void RowHighlighter::tick()
{
    const qint64 now = m_clock.elapsed();
    // Dropped marks get one last repaint so their background clears.
    QList<int> rows;
    for (auto it = m_marks.begin(); it != m_marks.end();) {
        if (it->source.isValid())
            rows.append(it->source.row());
        if (!it->source.isValid() || now - it->start >= m_duration)
            it = m_marks.erase(it);
        else
            ++it;
    }
    for (int row : std::as_const(rows))
        emitRowChanged(row);
    if (m_marks.isEmpty())
        m_timer.stop();
}

void RowHighlighter::emitRowChanged(int row)
{
    const int columns = columnCount();
    if (row < 0 || row >= rowCount() || columns == 0)
        return;
    Q_EMIT dataChanged(index(row, 0), index(row, columns - 1), {Qt::BackgroundRole});
}

const RowHighlighter::Mark *RowHighlighter::findMark(int row) const
{
    for (const Mark &m : m_marks) {
        if (m.source.isValid() && m.source.row() == row)
            return &m;
    }
    return nullptr;
}

bool RowHighlighter::isHighlighted(int row) const
{
    const Mark *m = findMark(row);
    return m && m_clock.elapsed() - m->start < m_duration;
}

QVariant RowHighlighter::data(const QModelIndex &index, int role) const
{
    if (role == Qt::BackgroundRole && index.isValid()) {
        if (const Mark *m = findMark(index.row())) {
            const qreal left = 1.0 - qreal(m_clock.elapsed() - m->start) / m_duration;
            if (left > 0) {
                QColor color = m_color;
                color.setAlphaF(float(0.85 * left));
                return QBrush(color);
            }
        }
    }
    return QIdentityProxyModel::data(index, role);
}

} // namespace Aiodata::Viewer
