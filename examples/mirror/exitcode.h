#pragma once

namespace Aiodata::Mirror {

// aiodata-mirror's exit codes, as --help and docs/mirror.md list them.
enum ExitCode : int {
    Done = 0,          // printed (read mode) or confirmed (write mode)
    Refused = 1,       // the server refused: token, privilege, constraint, ...
    Usage = 2,         // bad command line, unknown table, not supported yet
    Unreachable = 3,   // no server at --url (or no answer in time)
    CacheUnusable = 4, // --offline: no usable cached copy of the table
};

} // namespace Aiodata::Mirror
