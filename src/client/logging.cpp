#include "logging_p.h"

namespace Aiodata {
Q_LOGGING_CATEGORY(lcClient, "aiodata.client", QtWarningMsg)
Q_LOGGING_CATEGORY(lcModel, "aiodata.client.model", QtWarningMsg)
Q_LOGGING_CATEGORY(lcCache, "aiodata.client.cache", QtWarningMsg)
}
