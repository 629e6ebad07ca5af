#include "connectdialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Aiodata::Viewer {

ConnectDialog::ConnectDialog(const ConnectionSettings &initial, QWidget *parent)
    : QDialog(parent)
    , m_url(new QLineEdit(initial.url.toString(), this))
    , m_token(new QLineEdit(initial.token, this))
    , m_readOnly(new QCheckBox(tr("&Read only (connect without a token)"), this))
    , m_rememberToken(new QCheckBox(tr("Re&member token (stored unencrypted)"), this))
    , m_problem(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("connectDialog"));
    setWindowTitle(tr("Connect to an aiodata Server"));
    m_url->setPlaceholderText(QStringLiteral("http://localhost:4000"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("JWT, e.g. eyJhbGciOi…"));
    m_readOnly->setChecked(initial.readOnly);
    m_rememberToken->setChecked(initial.rememberToken);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Server URL:"), m_url);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(QString(), m_readOnly);
    form->addRow(QString(), m_rememberToken);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_url, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_token, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_readOnly, &QCheckBox::toggled, this, &ConnectDialog::validate);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    validate();
    resize(460, sizeHint().height());
}

ConnectionSettings ConnectDialog::settings() const
{
    ConnectionSettings s;
    s.url = QUrl::fromUserInput(m_url->text().trimmed());
    s.readOnly = m_readOnly->isChecked();
    s.token = s.readOnly ? QString() : m_token->text().trimmed();
    s.rememberToken = m_rememberToken->isChecked();
    return s;
}

bool ConnectDialog::isComplete() const
{
    const ConnectionSettings s = settings();
    return s.url.isValid() && !s.url.host().isEmpty() && (s.readOnly || !s.token.isEmpty());
}

void ConnectDialog::validate()
{
    const bool readOnly = m_readOnly->isChecked();
    m_token->setEnabled(!readOnly);
    m_rememberToken->setEnabled(!readOnly);
    const ConnectionSettings s = settings();
    QString problem;
    if (!s.url.isValid() || s.url.host().isEmpty())
        problem = tr("Enter the server's URL.");
    else if (!readOnly && s.token.isEmpty())
        problem = tr("Enter a token, or choose read only.");
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

void ConnectDialog::accept()
{
    if (!isComplete())
        return;
    settings().save();
    QDialog::accept();
}

} // namespace Aiodata::Viewer
