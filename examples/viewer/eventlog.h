#pragma once

#include <QTreeWidget>

namespace Aiodata::Viewer {

// The server's change events as they arrive, newest first: time, action,
// table and the primary keys of the rows.
class EventLog : public QTreeWidget
{
    Q_OBJECT
public:
    enum Column { TimeColumn, ActionColumn, TableColumn, KeysColumn };
    static constexpr int ActionRole = Qt::UserRole; // "create", "update" or "delete"

    explicit EventLog(QWidget *parent = nullptr);

    void setMaximumEntries(int entries) { m_maximum = entries; }

public Q_SLOTS:
    // As Client::event gives it: rows are maps, or [old, new] pairs for updates.
    void addEvent(const QString &action, const QString &table, const QVariantList &rows,
                  const QStringList &keyColumns);

private:
    static QString keyText(const QVariantMap &row, const QStringList &keyColumns);

    int m_maximum = 1000;
};

} // namespace Aiodata::Viewer
