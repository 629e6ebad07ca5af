#pragma once

#include <QLoggingCategory>

namespace Aiodata {
Q_DECLARE_LOGGING_CATEGORY(lcClient)   // aiodata.client: connection, load, events
Q_DECLARE_LOGGING_CATEGORY(lcModel)    // aiodata.client.model: row-level changes
Q_DECLARE_LOGGING_CATEGORY(lcCache)    // aiodata.client.cache: the cache directory
}
