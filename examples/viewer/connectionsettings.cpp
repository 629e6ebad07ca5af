#include "connectionsettings.h"

#include <QSettings>

namespace Aiodata::Viewer {

namespace {
const QString urlKey = QStringLiteral("connection/url");
const QString readOnlyKey = QStringLiteral("connection/readOnly");
const QString rememberKey = QStringLiteral("connection/rememberToken");
const QString tokenKey = QStringLiteral("connection/token");
} // namespace

ConnectionSettings ConnectionSettings::load()
{
    const QSettings s(QStringLiteral("aiodata"), QStringLiteral("viewer"));
    ConnectionSettings result;
    const QUrl url(s.value(urlKey).toString());
    if (url.isValid() && !url.isEmpty())
        result.url = url;
    result.readOnly = s.value(readOnlyKey, false).toBool();
    result.rememberToken = s.value(rememberKey, false).toBool();
    if (result.rememberToken)
        result.token = s.value(tokenKey).toString();
    return result;
}

void ConnectionSettings::save() const
{
    QSettings s(QStringLiteral("aiodata"), QStringLiteral("viewer"));
    s.setValue(urlKey, url.toString());
    s.setValue(readOnlyKey, readOnly);
    s.setValue(rememberKey, rememberToken);
    // A token the user did not ask to keep must not linger from earlier runs.
    if (rememberToken && !token.isEmpty())
        s.setValue(tokenKey, token);
    else
        s.remove(tokenKey);
}

} // namespace Aiodata::Viewer
