# ctest fixture postgrestjs_install: `npm ci` of the pinned package.json /
# package-lock.json into DIR (the build tree; node_modules is never committed).
#   cmake -DNPM=<npm or empty> -DDIR=<dir> -P install.cmake
# Missing npm or no network is not a failure: it writes DIR/SKIPPED with the
# reason, and tst_postgrestjs skips with it. Any other npm failure fails.
set(marker "${DIR}/SKIPPED")
file(REMOVE "${marker}")

# Already installed from this very lock file: nothing to fetch (and offline
# re-runs keep working).
set(installed "${DIR}/node_modules/.package-lock.json")
if(EXISTS "${installed}" AND EXISTS "${DIR}/node_modules/@supabase/postgrest-js/package.json"
   AND NOT "${DIR}/package-lock.json" IS_NEWER_THAN "${installed}")
  message("postgrestjs_install: up to date in ${DIR}/node_modules")
  return()
endif()

if(NOT NPM)
  file(WRITE "${marker}" "npm not found when configuring (install Debian's nodejs and npm, then re-run cmake)\n")
  message("postgrestjs_install: SKIPPED: npm not found")
  return()
endif()

execute_process(
  COMMAND "${NPM}" ci --no-audit --no-fund --prefer-offline --loglevel=error
  WORKING_DIRECTORY "${DIR}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 600)
message("${out}${err}")
if(rc EQUAL 0 AND EXISTS "${DIR}/node_modules/@supabase/postgrest-js/package.json")
  message("postgrestjs_install: installed into ${DIR}/node_modules")
  return()
endif()

# npm's codes for an unreachable registry (and execute_process's timeout).
set(offline "ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT|ENOTCACHED|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT|network|timeout")
if("${rc}${out}${err}" MATCHES "${offline}")
  string(REGEX MATCH "[^\n]*(${offline})[^\n]*" reason "${rc}\n${out}${err}")
  file(WRITE "${marker}" "npm ci could not reach the registry: ${reason}\n")
  message("postgrestjs_install: SKIPPED: no network (${reason})")
  return()
endif()
message(FATAL_ERROR "postgrestjs_install: npm ci failed (${rc})")
