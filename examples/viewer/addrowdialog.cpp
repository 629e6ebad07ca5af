#include "addrowdialog.h"

#include "columnvalue.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Aiodata::Viewer {

AddRowDialog::AddRowDialog(const TableSchema &schema, QWidget *parent)
    : QDialog(parent)
    , m_schema(schema)
    , m_problem(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("addRowDialog"));
    setWindowTitle(tr("Add Row to %1").arg(schema.name));
    auto *form = new QFormLayout;
    for (const ColumnSchema &column : schema.columns) {
        auto *edit = new QLineEdit(this);
        edit->setObjectName(QStringLiteral("field_") + column.name);
        QString hint;
        if (ColumnValue::isRequired(column))
            hint = tr("required");
        else if (column.hasDefault)
            hint = tr("empty: default");
        else
            hint = tr("empty: NULL");
        edit->setPlaceholderText(tr("%1, %2", "placeholder: type, hint").arg(column.type, hint));
        if (!column.comment.isEmpty())
            edit->setToolTip(column.comment);
        connect(edit, &QLineEdit::textChanged, this, &AddRowDialog::validate);
        // Key columns are marked: they identify the row and cannot be left out.
        const QString label = column.isPrimaryKey() ? tr("%1 (key):").arg(column.name) : tr("%1:").arg(column.name);
        form->addRow(label, edit);
        m_fields.append(edit);
    }
    m_problem->setWordWrap(true);
    QPalette palette = m_problem->palette();
    palette.setColor(QPalette::WindowText, QColor(0x9c, 0x1c, 0x10));
    m_problem->setPalette(palette);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    validate();
}

QLineEdit *AddRowDialog::field(const QString &column) const
{
    const int i = m_schema.columnIndex(column);
    return i >= 0 ? m_fields.value(i) : nullptr;
}

QPushButton *AddRowDialog::okButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

bool AddRowDialog::isComplete() const
{
    return problem().isEmpty();
}

QString AddRowDialog::problem() const
{
    for (qsizetype i = 0; i < m_fields.size(); ++i) {
        const ColumnSchema &column = m_schema.columns.at(i);
        const QString text = m_fields.at(i)->text();
        if (text.trimmed().isEmpty()) {
            if (ColumnValue::isRequired(column))
                return tr("Fill in %1.").arg(column.name);
            continue;
        }
        QString error;
        if (!ColumnValue::fromText(column, text, &error).isValid())
            return error;
    }
    return QString();
}

QVariantMap AddRowDialog::row() const
{
    QVariantMap result;
    for (qsizetype i = 0; i < m_fields.size(); ++i) {
        const ColumnSchema &column = m_schema.columns.at(i);
        const QString text = m_fields.at(i)->text();
        if (text.trimmed().isEmpty() && !ColumnValue::isRequired(column))
            continue;
        const QVariant value = ColumnValue::fromText(column, text);
        if (value.isValid())
            result.insert(column.name, value);
    }
    return result;
}

void AddRowDialog::validate()
{
    const QString problem = this->problem();
    m_problem->setText(problem);
    okButton()->setEnabled(problem.isEmpty());
}

} // namespace Aiodata::Viewer
