#include "tablepage.h"

#include "celldelegate.h"
#include "columnvalue.h"
#include "rowhighlighter.h"

#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QHeaderView>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace Aiodata::Viewer {

namespace {
constexpr int maxInitialColumnWidth = 320;
} // namespace

TablePage::TablePage(TableModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_highlighter(new RowHighlighter(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_view(new QTableView(this))
{
    setObjectName(QStringLiteral("page_") + model->name());
    m_highlighter->setSourceModel(model);
    m_proxy->setSourceModel(m_highlighter);
    m_proxy->setFilterKeyColumn(-1); // every column
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);

    m_filter->setObjectName(QStringLiteral("filter"));
    m_filter->setPlaceholderText(tr("Filter rows (all columns)…"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &TablePage::setFilterText);

    m_view->setObjectName(QStringLiteral("view"));
    m_view->setModel(m_proxy);
    auto *delegate = new CellDelegate(model->schema(), m_view);
    m_view->setItemDelegate(delegate);
    connect(delegate, &CellDelegate::invalidInput, this, &TablePage::errorOccurred);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setAlternatingRowColors(true);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
                            | QAbstractItemView::AnyKeyPressed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSortIndicatorClearable(true);
    // Unsorted (-1) keeps the model's own order: by primary key.
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->setSortingEnabled(true);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_filter);
    layout->addWidget(m_view, 1);

    connect(m_model, &TableModel::writeFailed, this, [this](const QString &error) {
        // The model re-reads the refused cell next; that is no change to light up.
        m_highlighter->ignoreNextChange();
        Q_EMIT errorOccurred(tr("The change to %1 was refused: %2").arg(m_model->name(), error));
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_proxy, signal, this, &TablePage::rowCountsChanged);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TablePage::rowCountsChanged);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &TablePage::rowCountsChanged);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &TablePage::selectionChanged);
}

int TablePage::visibleRowCount() const
{
    return m_proxy->rowCount();
}

int TablePage::totalRowCount() const
{
    return m_model->rowCount();
}

void TablePage::fitColumns()
{
    m_view->resizeColumnsToContents();
    for (int column = 0; column < m_proxy->columnCount(); ++column) {
        if (m_view->columnWidth(column) > maxInitialColumnWidth)
            m_view->setColumnWidth(column, maxInitialColumnWidth);
    }
}

void TablePage::setFilterText(const QString &text)
{
    if (m_filter->text() != text)
        m_filter->setText(text); // comes back here through textChanged
    else
        m_proxy->setFilterFixedString(text);
}

QList<QVariantList> TablePage::selectedKeys() const
{
    QList<QVariantList> keys;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows) {
        const QModelIndex source = m_highlighter->mapToSource(m_proxy->mapToSource(index));
        const QVariantList key = m_model->keyOf(source.row());
        if (!key.isEmpty())
            keys.append(key);
    }
    return keys;
}

int TablePage::deleteSelectedRows()
{
    // Keys first: rows vanish from the selection as their events arrive.
    const QList<QVariantList> keys = selectedKeys();
    for (const QVariantList &key : keys) {
        Reply *reply = m_model->remove(key);
        connect(reply, &Reply::finished, this, [this, reply, key] {
            reply->deleteLater();
            if (reply->error() == Reply::NoError)
                return;
            QStringList parts;
            for (const QVariant &value : key)
                parts.append(ColumnValue::toText(value));
            Q_EMIT errorOccurred(tr("Could not delete %1 from %2: %3")
                                     .arg(parts.join(QStringLiteral(" / ")), m_model->name(), reply->errorString()));
        });
    }
    return int(keys.size());
}

void TablePage::createRow(const QVariantMap &row)
{
    Reply *reply = m_model->create(row);
    connect(reply, &Reply::finished, this, [this, reply] {
        reply->deleteLater();
        if (reply->error() != Reply::NoError)
            Q_EMIT errorOccurred(tr("Could not add the row to %1: %2").arg(m_model->name(), reply->errorString()));
    });
}

} // namespace Aiodata::Viewer
