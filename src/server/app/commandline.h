#pragma once

#include "base/config.h"

#include <optional>

QT_BEGIN_NAMESPACE
class QCoreApplication;
QT_END_NAMESPACE

namespace Aiodata::Server {

// The server's command line: flags, their AIODATA_* variables, and the
// PostgREST config file they complete.
class CommandLine
{
public:
    // Before QCoreApplication exists: a UTF-8 locale and Qt's plain Unix
    // event dispatcher.
    static void prepareProcess();

    // Reads the arguments (--help and --version answer and exit), the
    // environment and the config file. std::nullopt and *error (one line)
    // on a bad value: the process exits with status 2.
    static std::optional<Config> parse(const QCoreApplication &app, QString *error);
};

} // namespace Aiodata::Server
