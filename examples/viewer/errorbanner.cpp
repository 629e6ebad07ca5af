#include "errorbanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace Aiodata::Viewer {

ErrorBanner::ErrorBanner(QWidget *parent)
    : QFrame(parent)
    , m_label(new QLabel(this))
    , m_close(new QToolButton(this))
{
    setObjectName(QStringLiteral("errorBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    // Fixed colours rather than the palette: an error must stand out in any theme.
    setStyleSheet(QStringLiteral("#errorBanner { background: #fde8e6; border: 1px solid #e4a29b; border-radius: 3px; }"
                                 "#errorBanner QLabel { color: #6b1a12; }"));
    auto *icon = new QLabel(this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(20, 20));
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setObjectName(QStringLiteral("errorText"));
    m_close->setText(QStringLiteral("×"));
    m_close->setAutoRaise(true);
    m_close->setToolTip(tr("Dismiss"));
    connect(m_close, &QToolButton::clicked, this, &ErrorBanner::dismiss);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(icon);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_close, 0, Qt::AlignTop);
    hide();
}

QString ErrorBanner::text() const
{
    return isHidden() ? QString() : m_label->text();
}

void ErrorBanner::showMessage(const QString &text)
{
    m_label->setText(text);
    show();
}

void ErrorBanner::dismiss()
{
    if (isHidden())
        return;
    m_label->clear();
    hide();
    Q_EMIT dismissed();
}

} // namespace Aiodata::Viewer
