#pragma once

#include <QWebSocket>

// QWebSocket's error signal: errorOccurred since Qt 6.5, where error() became
// deprecated; only error() before. Tests connect to this pointer.
inline constexpr auto webSocketErrorSignal =
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    &QWebSocket::errorOccurred;
#else
    qOverload<QAbstractSocket::SocketError>(&QWebSocket::error);
#endif
