# The client library's sources, public headers and internal ones: one list
# for the library build (CMakeLists.txt here) and the fuzz build
# (tests/fuzz), relative to this folder.
set(AIODATA_CLIENT_SOURCES
  client.cpp client.h
  tablemodel.cpp tablemodel.h tablemodel_p.h
  tableschema.cpp tableschema.h
  reply.cpp reply.h reply_p.h
  packedrow.cpp packedrow.h
  jsonrowreader.cpp jsonrowreader.h
  snapshotreader.cpp snapshotreader.h
  eventdecoder.cpp eventdecoder.h
  subsetquery.cpp subsetquery.h
  cache/cachefile.cpp cache/cachefile.h
  cache/cachestore.cpp cache/cachestore.h
  cache/writejournal.cpp cache/writejournal.h
  writetransport.h
  logging.cpp logging_p.h
)
