#pragma once

#include <QLoggingCategory>

namespace Aiodata::Server {
Q_DECLARE_LOGGING_CATEGORY(lcServer)   // aiodata.server: start-up, connections
Q_DECLARE_LOGGING_CATEGORY(lcHttp)     // aiodata.server.http: requests
Q_DECLARE_LOGGING_CATEGORY(lcPg)       // aiodata.server.pg: libpq connections
Q_DECLARE_LOGGING_CATEGORY(lcSql)      // aiodata.server.sql: statements sent
Q_DECLARE_LOGGING_CATEGORY(lcFanout)   // aiodata.server.fanout: events, WebSocket clients
}
