#pragma once

#include <QLocale>

namespace Aiodata::Viewer {

// Loads the viewer's own strings (viewer_<lang>.qm from :/i18n), Qt's
// (dialog buttons) and the aiodata library's for `locale`, replacing the
// viewer's and Qt's translators of an earlier call.
// Returns whether the viewer has a translation for that language.
bool installTranslations(const QLocale &locale = QLocale());

} // namespace Aiodata::Viewer
