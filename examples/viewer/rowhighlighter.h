#pragma once

#include <QColor>
#include <QElapsedTimer>
#include <QIdentityProxyModel>
#include <QList>
#include <QPersistentModelIndex>
#include <QTimer>

namespace Aiodata::Viewer {

// Sits right on a TableModel and gives rows that the source just inserted
// or changed a background that fades out, so live updates catch the eye.
// It watches the source itself (not a sort/filter proxy above it), so rows
// that merely appear through filtering are not mistaken for changes.
class RowHighlighter : public QIdentityProxyModel
{
    Q_OBJECT
public:
    explicit RowHighlighter(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *sourceModel) override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Off during the initial load: a table filling up is not news.
    void setActive(bool active);
    bool isActive() const { return m_active; }
    void setDuration(int milliseconds) { m_duration = milliseconds; }
    int duration() const { return m_duration; }
    void setColor(const QColor &color) { m_color = color; }
    // Whether the row (of this model) is highlighted right now.
    bool isHighlighted(int row) const;
    // The source's next dataChanged, if it comes before the event loop runs
    // again, is no change: TableModel refreshes a cell after a refused write.
    void ignoreNextChange();

private:
    struct Mark
    {
        QPersistentModelIndex source; // column 0 of the row; follows it when rows move
        qint64 start;
    };

    void mark(int first, int last);
    void tick();
    void emitRowChanged(int row);
    const Mark *findMark(int row) const;

    QList<Mark> m_marks;
    QElapsedTimer m_clock;
    QTimer m_timer;
    QColor m_color{255, 200, 60};
    int m_duration = 1500;
    bool m_active = false;
    bool m_ignoreNextChange = false;
};

} // namespace Aiodata::Viewer
