#pragma once

#include <Aiodata/tableschema.h>

#include <QStyledItemDelegate>

namespace Aiodata::Viewer {

// Shows and edits cells by their column's type: NULL shown as a grey
// "NULL", booleans picked from a list, numbers and JSON parsed from text.
// Text that does not parse is not written; invalidInput says why.
class CellDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit CellDelegate(const TableSchema &schema, QObject *parent = nullptr);

    QString displayText(const QVariant &value, const QLocale &locale) const override;
    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;

Q_SIGNALS:
    void invalidInput(const QString &message) const;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    const ColumnSchema *column(const QModelIndex &index) const;

    TableSchema m_schema;
};

} // namespace Aiodata::Viewer
