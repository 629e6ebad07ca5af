# AIODATA_SANITIZE=ON: every target (libraries, the server, examples, tests)
# is compiled and linked with AddressSanitizer (+ LeakSanitizer) and
# UndefinedBehaviorSanitizer; any UB report aborts (-fno-sanitize-recover).
# Works with g++ and clang++. scripts/sanitize configures build-asan/ with it
# and runs the whole ctest suite with halt_on_error (see docs/fuzzing.md).
#
# Included from the top-level CMakeLists.txt right after project(), so that
# add_compile_options/add_link_options reach every target defined below it.

option(AIODATA_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer (g++ or clang++)" OFF)

if(AIODATA_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "AIODATA_SANITIZE needs g++ or clang++, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  set(AIODATA_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_compile_options(${AIODATA_SANITIZE_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "AIODATA_SANITIZE: ${AIODATA_SANITIZE_FLAGS} (compile and link, all targets)")

  # A sanitized libaiodata needs the sanitizer runtime in the executable that
  # loads it (an uninstrumented program would abort with "ASan runtime does
  # not come first"). Carry that requirement in the exported target, so an
  # outside project built against this (sanitized) package links the runtime
  # too (tests/consumer does exactly that). Deferred: the target is defined
  # in src/client after this file runs.
  function(_aiodata_sanitize_export)
    if(TARGET Aiodata)
      set_property(TARGET Aiodata APPEND PROPERTY INTERFACE_LINK_OPTIONS -fsanitize=address,undefined)
    endif()
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _aiodata_sanitize_export)
endif()
