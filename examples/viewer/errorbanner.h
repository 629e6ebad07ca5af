#pragma once

#include <QFrame>

class QLabel;
class QToolButton;

namespace Aiodata::Viewer {

// A non-modal strip above the tables for problems the user should read:
// refused writes, a lost connection, a bad token. Stays until dismissed or
// replaced; never blocks the window.
class ErrorBanner : public QFrame
{
    Q_OBJECT
public:
    explicit ErrorBanner(QWidget *parent = nullptr);

    QString text() const;

public Q_SLOTS:
    void showMessage(const QString &text);
    void dismiss();

Q_SIGNALS:
    void dismissed();

private:
    QLabel *m_label;
    QToolButton *m_close;
};

} // namespace Aiodata::Viewer
