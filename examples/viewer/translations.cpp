#include "translations.h"

#include <Aiodata/client.h>

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QPointer>
#include <QTranslator>

namespace Aiodata::Viewer {

namespace {
QPointer<QTranslator> viewerTranslator;
QPointer<QTranslator> qtTranslator;

// Installs a translator for `locale` from `directory`, dropping the previous one.
bool replaceTranslator(QPointer<QTranslator> &slot, const QLocale &locale, const QString &name,
                       const QString &directory)
{
    if (slot) {
        QCoreApplication::removeTranslator(slot);
        delete slot;
    }
    auto *translator = new QTranslator(QCoreApplication::instance());
    if (!translator->load(locale, name, QStringLiteral("_"), directory)) {
        delete translator;
        return false;
    }
    QCoreApplication::installTranslator(translator);
    slot = translator;
    return true;
}
} // namespace

bool installTranslations(const QLocale &locale)
{
    const QString qtDirectory = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    if (!replaceTranslator(qtTranslator, locale, QStringLiteral("qtbase"), qtDirectory))
        replaceTranslator(qtTranslator, locale, QStringLiteral("qt"), qtDirectory);
    Aiodata::Client::installTranslator(locale);
    return replaceTranslator(viewerTranslator, locale, QStringLiteral("viewer"), QStringLiteral(":/i18n"));
}

} // namespace Aiodata::Viewer
