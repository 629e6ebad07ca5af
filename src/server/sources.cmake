# The server's modules by layer (docs/architecture.md), every source but
# main.cpp: one list for the server build and the fuzz build (tests/fuzz),
# relative to this folder.
set(AIODATA_SERVER_SOURCES
  base/config.cpp base/config.h
  base/logging.cpp base/logging.h
  auth/claimpath.cpp auth/claimpath.h
  auth/jwkset.cpp auth/jwkset.h
  auth/jwtverifier.cpp auth/jwtverifier.h
  app/commandline.cpp app/commandline.h
  app/server.cpp app/server.h
  app/unixsignalnotifier.cpp app/unixsignalnotifier.h
  http/httpparser.cpp http/httpparser.h http/httpsyntax_p.h
  http/httpconnection.cpp http/httpconnection_p.h
  http/httpserver.cpp http/httpserver.h
  pg/pgconnection.cpp pg/pgconnection.h
  pg/pgpool.cpp pg/pgpool.h
  pg/pglistener.cpp pg/pglistener.h
  pg/pgreplicationstream.cpp pg/pgreplicationstream.h
  pg/timelinehistory.cpp pg/timelinehistory.h
  pg/pgsql.cpp pg/pgsql.h
  pg/pgtype.cpp pg/pgtype.h
  schema/schemacache.cpp schema/schemacache.h
  schema/functioninfo.cpp schema/functioninfo.h
  schema/relationship.cpp schema/relationship.h
  schema/schemareloader.cpp schema/schemareloader.h
  rest/apierror.cpp rest/apierror.h
  rest/apirequest.cpp rest/apirequest.h
  rest/apiresponse.cpp rest/apiresponse.h
  rest/sqlbuilder.cpp rest/sqlbuilder.h
  rest/rpcplan.cpp rest/rpcplan.h
  rest/embedplan.cpp rest/embedplan.h
  rest/subsetplanner.cpp rest/subsetplanner.h
  rest/idempotencycache.cpp rest/idempotencycache.h
  rest/idempotencystore.cpp rest/idempotencystore.h
  rest/routes.cpp rest/routes.h
  capture/changesource.cpp capture/changesource.h
  capture/ownwritessource.cpp capture/ownwritessource.h
  capture/pgoutputdecoder.cpp capture/pgoutputdecoder.h
  capture/walvalueformatter.cpp capture/walvalueformatter.h
  capture/walsource.cpp capture/walsource.h
  fanout/fanout.cpp fanout/fanout.h
  fanout/rowfilter.cpp fanout/rowfilter.h
  fanout/rowkeys.h
  fanout/rowtext.cpp fanout/rowtext.h
  fanout/clientmessage.cpp fanout/clientmessage.h
  fanout/subset.h
  fanout/subsetfilter.cpp fanout/subsetfilter.h
  fanout/subscribercontext.h
)
