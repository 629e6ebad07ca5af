#pragma once

#include <Aiodata/tableschema.h>

#include <QDialog>
#include <QVariantMap>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace Aiodata::Viewer {

// One field per column of a table; key columns (and NOT NULL ones without
// a default) must be filled before OK is enabled. Empty optional fields are
// left out of the row, so the database's defaults apply.
class AddRowDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AddRowDialog(const TableSchema &schema, QWidget *parent = nullptr);

    QLineEdit *field(const QString &column) const;
    QPushButton *okButton() const;
    bool isComplete() const;
    QString problem() const;      // why OK is disabled, empty when it is not
    QVariantMap row() const;      // the values to send, typed by column

private:
    void validate();

    TableSchema m_schema;
    QList<QLineEdit *> m_fields;  // in column order
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
};

} // namespace Aiodata::Viewer
