#pragma once

#include <QString>
#include <QUrl>

namespace Aiodata {
class Client;
}

// Starts `client` against `url` with a QAbstractItemModelTester on every
// model before it fills; true once the client is Ready within the timeout.
bool startTestClient(Aiodata::Client &client, const QUrl &url, const QString &token = QString(), int timeoutMs = 10000);
