#pragma once

#include <QList>
#include <QVariantList>
#include <QVariantMap>
#include <QWidget>

class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace Aiodata {
class TableModel;
}

namespace Aiodata::Viewer {

class RowHighlighter;

// One table's tab: a filter line and a sortable view over the live model
// (TableModel -> RowHighlighter -> QSortFilterProxyModel -> QTableView).
// Writes go through the model; their failures come out as errorOccurred.
class TablePage : public QWidget
{
    Q_OBJECT
public:
    explicit TablePage(TableModel *model, QWidget *parent = nullptr);

    TableModel *model() const { return m_model; }
    RowHighlighter *highlighter() const { return m_highlighter; }
    QSortFilterProxyModel *proxyModel() const { return m_proxy; }
    QTableView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }

    QList<QVariantList> selectedKeys() const; // full keys of the selected rows
    int visibleRowCount() const;
    int totalRowCount() const;
    void fitColumns();

public Q_SLOTS:
    void setFilterText(const QString &text);
    void createRow(const QVariantMap &row);
    // TableModel::remove by full key for each selected row; returns how many were sent.
    int deleteSelectedRows();

Q_SIGNALS:
    void errorOccurred(const QString &message);
    void rowCountsChanged();
    void selectionChanged();

private:
    TableModel *m_model;
    RowHighlighter *m_highlighter;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    QTableView *m_view;
};

} // namespace Aiodata::Viewer
