#pragma once

#include <QString>
#include <QUrl>

namespace Aiodata::Viewer {

// Where to connect and as whom. Persisted with QSettings ("aiodata",
// "viewer"); the token only when the user asked for it, since QSettings
// stores it in plain text.
struct ConnectionSettings
{
    QUrl url = QUrl(QStringLiteral("http://localhost:4000"));
    QString token;
    bool readOnly = false;      // connect without a token, as the anonymous role
    bool rememberToken = false;
    // Client::cacheDirectory (--cache): the tables open from it, also
    // without a server. Not persisted: a command-line choice.
    QString cacheDirectory;

    // The token to send: none when read only.
    QString effectiveToken() const { return readOnly ? QString() : token; }

    static ConnectionSettings load();
    void save() const;
};

} // namespace Aiodata::Viewer
