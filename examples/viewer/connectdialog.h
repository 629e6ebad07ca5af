#pragma once

#include "connectionsettings.h"

#include <QDialog>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace Aiodata::Viewer {

// Asks for the server URL and a token, or "read only" without one. Starts
// from the remembered settings; accepting remembers the new ones.
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(const ConnectionSettings &initial = ConnectionSettings::load(), QWidget *parent = nullptr);

    ConnectionSettings settings() const;
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *tokenEdit() const { return m_token; }
    QCheckBox *readOnlyBox() const { return m_readOnly; }
    QCheckBox *rememberTokenBox() const { return m_rememberToken; }
    bool isComplete() const;

public Q_SLOTS:
    void accept() override;

private:
    void validate();

    QLineEdit *m_url;
    QLineEdit *m_token;
    QCheckBox *m_readOnly;
    QCheckBox *m_rememberToken;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
};

} // namespace Aiodata::Viewer
