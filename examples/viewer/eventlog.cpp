#include "eventlog.h"

#include "columnvalue.h"

#include <QDateTime>
#include <QHeaderView>

namespace Aiodata::Viewer {

namespace {
constexpr int maxKeysShown = 10;
} // namespace

EventLog::EventLog(QWidget *parent)
    : QTreeWidget(parent)
{
    setObjectName(QStringLiteral("eventLog"));
    setHeaderLabels({tr("Time"), tr("Action"), tr("Table"), tr("Keys")});
    setRootIsDecorated(false);
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    header()->setStretchLastSection(true);
    header()->setSectionResizeMode(TimeColumn, QHeaderView::ResizeToContents);
    header()->setSectionResizeMode(ActionColumn, QHeaderView::ResizeToContents);
    header()->setSectionResizeMode(TableColumn, QHeaderView::ResizeToContents);
}

QString EventLog::keyText(const QVariantMap &row, const QStringList &keyColumns)
{
    if (row.isEmpty())
        return QString();
    QStringList parts;
    for (const QString &column : keyColumns)
        parts.append(ColumnValue::toText(row.value(column)));
    return parts.join(QStringLiteral(" / "));
}

void EventLog::addEvent(const QString &action, const QString &table, const QVariantList &rows,
                        const QStringList &keyColumns)
{
    QString actionText = action;
    if (action == QLatin1String("create"))
        actionText = tr("created");
    else if (action == QLatin1String("update"))
        actionText = tr("updated");
    else if (action == QLatin1String("delete"))
        actionText = tr("deleted");

    QStringList keys;
    for (qsizetype i = 0; i < rows.size() && i < maxKeysShown; ++i) {
        const QVariant &entry = rows.at(i);
        if (entry.typeId() == QMetaType::QVariantList) {
            // An update: show the move when the key itself changed.
            const QVariantList pair = entry.toList();
            const QString before = keyText(pair.value(0).toMap(), keyColumns);
            const QString after = keyText(pair.value(1).toMap(), keyColumns);
            keys.append(before == after || before.isEmpty() ? after : tr("%1 → %2").arg(before, after));
        } else {
            keys.append(keyText(entry.toMap(), keyColumns));
        }
    }
    QString keysText = keys.join(QStringLiteral("; "));
    if (rows.size() > maxKeysShown)
        keysText += QLatin1Char(' ') + tr("(and %n more)", "", int(rows.size() - maxKeysShown));

    auto *item = new QTreeWidgetItem;
    item->setText(TimeColumn, QLocale().toString(QTime::currentTime(), QStringLiteral("HH:mm:ss.zzz")));
    item->setText(ActionColumn, actionText);
    item->setData(ActionColumn, ActionRole, action);
    item->setText(TableColumn, table);
    item->setText(KeysColumn, keysText);
    item->setToolTip(KeysColumn, keysText);
    insertTopLevelItem(0, item);
    while (topLevelItemCount() > m_maximum)
        delete takeTopLevelItem(topLevelItemCount() - 1);
}

} // namespace Aiodata::Viewer
