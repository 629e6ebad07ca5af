#include "base/logging.h"

namespace Aiodata::Server {
Q_LOGGING_CATEGORY(lcServer, "aiodata.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHttp, "aiodata.server.http", QtWarningMsg)
Q_LOGGING_CATEGORY(lcPg, "aiodata.server.pg", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSql, "aiodata.server.sql", QtWarningMsg)
Q_LOGGING_CATEGORY(lcFanout, "aiodata.server.fanout", QtWarningMsg)
}
