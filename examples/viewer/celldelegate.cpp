#include "celldelegate.h"

#include "columnvalue.h"

#include <QComboBox>
#include <QLineEdit>

namespace Aiodata::Viewer {

CellDelegate::CellDelegate(const TableSchema &schema, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_schema(schema)
{
}

const ColumnSchema *CellDelegate::column(const QModelIndex &index) const
{
    // The proxies above the table model keep its columns as they are.
    if (!index.isValid() || index.column() >= m_schema.columns.size())
        return nullptr;
    return &m_schema.columns.at(index.column());
}

QString CellDelegate::displayText(const QVariant &value, const QLocale &locale) const
{
    if (ColumnValue::isNull(value))
        return tr("NULL");
    // The same words as the editor's list offers.
    if (value.typeId() == QMetaType::Bool)
        return value.toBool() ? tr("true") : tr("false");
    if (value.typeId() == QMetaType::QVariantList || value.typeId() == QMetaType::QVariantMap)
        return ColumnValue::toText(value);
    // Plain numbers: no thousands separators, so keys and colours read as stored.
    if (value.typeId() == QMetaType::Int || value.typeId() == QMetaType::LongLong)
        return QString::number(value.toLongLong());
    return QStyledItemDelegate::displayText(value, locale);
}

void CellDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    if (ColumnValue::isNull(index.data(Qt::EditRole))) {
        // The base class leaves NULL cells blank; show them, set apart from the text "NULL".
        option->features |= QStyleOptionViewItem::HasDisplay;
        option->text = tr("NULL");
        option->font.setItalic(true);
        option->palette.setColor(QPalette::Text, option->palette.color(QPalette::Disabled, QPalette::Text));
    }
}

QWidget *CellDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &index) const
{
    const ColumnSchema *c = column(index);
    if (c && ColumnValue::kind(*c) == ColumnValue::Boolean) {
        auto *combo = new QComboBox(parent);
        combo->addItem(tr("true"), true);
        combo->addItem(tr("false"), false);
        if (c->nullable)
            combo->addItem(tr("NULL"), QVariant::fromValue(nullptr));
        return combo;
    }
    auto *edit = new QLineEdit(parent);
    if (c) {
        edit->setPlaceholderText(c->nullable ? tr("NULL") : QString());
        edit->setToolTip(c->type);
    }
    return edit;
}

void CellDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    const QVariant value = index.data(Qt::EditRole);
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        const int i = ColumnValue::isNull(value) ? combo->count() - 1 : (value.toBool() ? 0 : 1);
        combo->setCurrentIndex(i);
        return;
    }
    if (auto *edit = qobject_cast<QLineEdit *>(editor))
        edit->setText(ColumnValue::toText(value));
}

void CellDelegate::setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const
{
    const ColumnSchema *c = column(index);
    if (!c)
        return;
    QVariant value;
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        value = combo->currentData();
    } else if (auto *edit = qobject_cast<QLineEdit *>(editor)) {
        QString error;
        value = ColumnValue::fromText(*c, edit->text(), &error);
        if (!value.isValid()) {
            Q_EMIT invalidInput(error);
            return;
        }
    }
    model->setData(index, value, Qt::EditRole);
}

} // namespace Aiodata::Viewer
