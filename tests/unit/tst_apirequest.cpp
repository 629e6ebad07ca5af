// Tests for ApiRequest::parse: what the Prefer and Accept headers turn
// into, before any SQL exists. The expected values and errors are
// PostgREST 12's (its Preferences.fromHeaders, PreferencesSpec.hs and
// QuerySpec.hs).

#include "rest/apirequest.h"

#include <QtTest>

using namespace Aiodata::Server;

namespace {

using Headers = QList<QPair<QByteArray, QByteArray>>;

HttpRequest request(const QByteArray &method, const QByteArray &target, const Headers &headers)
{
    HttpRequest http;
    http.method = method;
    http.target = target;
    const qsizetype question = target.indexOf('?');
    http.path = question < 0 ? target : target.left(question);
    http.query = question < 0 ? QByteArray() : target.mid(question + 1);
    http.headers = headers;
    return http;
}

const char *handlingName(ApiRequest::Handling h)
{
    switch (h) {
    case ApiRequest::Handling::NotGiven:
        return "none";
    case ApiRequest::Handling::Lenient:
        return "lenient";
    case ApiRequest::Handling::Strict:
        return "strict";
    }
    return "?";
}

const char *txName(ApiRequest::Tx t)
{
    switch (t) {
    case ApiRequest::Tx::NotGiven:
        return "none";
    case ApiRequest::Tx::Commit:
        return "commit";
    case ApiRequest::Tx::Rollback:
        return "rollback";
    }
    return "?";
}

// The parsed preferences as one comparable line, or the error's JSON.
QByteArray describe(const QByteArray &method, const Headers &headers, bool allowTxOverride)
{
    const HttpRequest http = request(method, "/query/pets", headers);
    ApiError error;
    const std::optional<ApiRequest> r = ApiRequest::parse(http, "pets", {QStringLiteral("api")}, &error, allowTxOverride);
    if (!r)
        return QByteArray::number(error.status) + ' ' + error.toJson();
    return QByteArray("return=") + (r->returnRepresentation ? "representation" : "minimal")
        + " count=" + QByteArray::number(int(r->count)) + " merge=" + (r->mergeDuplicates ? "1" : "0")
        + " ignore=" + (r->ignoreDuplicates ? "1" : "0") + " missing=" + (r->missingDefault ? "default" : "null")
        + " handling=" + handlingName(r->handling) + " max=" + QByteArray::number(r->maxAffected)
        + " applies=" + (r->maxAffectedApplies() ? "1" : "0") + " tx=" + txName(r->tx);
}

} // namespace

class TestApiRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void preferences_data();
    void preferences();
    void accept_data();
    void accept();
};

void TestApiRequest::preferences_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<bool>("allowTxOverride");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray defaults = "return=representation count=0 merge=0 ignore=0 missing=null handling=none max=-1 applies=0 tx=none";
    QTest::newRow("none") << QByteArray("GET") << Headers{} << false << defaults;
    // Lenient (also when not given) ignores what it does not know.
    QTest::newRow("unknown, lenient by default") << QByteArray("GET") << Headers{{"Prefer", "anything"}} << false << defaults;
    QTest::newRow("unknown, lenient")
        << QByteArray("GET") << Headers{{"Prefer", "handling=lenient, anything"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=lenient max=-1 applies=0 tx=none");

    // PreferencesSpec: "throws error when handling=strict and invalid prefs are given".
    const QByteArray strictError = "400 {\"code\":\"PGRST122\",\"details\":\"Invalid preferences: %1\",\"hint\":null,"
                                   "\"message\":\"Invalid preferences given with handling=strict\"}";
    QTest::newRow("strict, one unknown") << QByteArray("GET") << Headers{{"Prefer", "handling=strict, anything"}} << false
                                         << QByteArray(strictError).replace("%1", "anything");
    // "... with multiples in separate prefers": both fields, in order.
    QTest::newRow("strict, unknowns in another field")
        << QByteArray("GET") << Headers{{"Prefer", "handling=strict"}, {"Prefer", "something, else"}} << false
        << QByteArray(strictError).replace("%1", "something, else");
    // handling= may come after what it refuses; the header name is case-insensitive.
    QTest::newRow("strict after the unknown") << QByteArray("POST") << Headers{{"prefer", "foo,handling=strict"}} << false
                                              << QByteArray(strictError).replace("%1", "foo");
    // timezone= is PostgREST's, not ours: unfulfillable, so refused under strict.
    QTest::newRow("strict, timezone") << QByteArray("GET") << Headers{{"Prefer", "handling=strict, timezone=UTC"}} << false
                                      << QByteArray(strictError).replace("%1", "timezone=UTC");
    QTest::newRow("strict, bad max-affected")
        << QByteArray("DELETE") << Headers{{"Prefer", "handling=strict, max-affected=-1, max-affected=x"}} << false
        << QByteArray(strictError).replace("%1", "max-affected=-1, max-affected=x");
    QTest::newRow("lenient, bad max-affected") << QByteArray("DELETE") << Headers{{"Prefer", "max-affected=ten"}} << false
                                               << defaults;
    // Every value we know is valid under strict; empty list items are no preference.
    QTest::newRow("strict, all known")
        << QByteArray("POST")
        << Headers{{"Prefer", "handling=strict, return=minimal, count=exact, resolution=ignore-duplicates, , missing=default, "
                              "params=single-object, tx=rollback, max-affected=3"}}
        << false
        << QByteArray("return=minimal count=1 merge=0 ignore=1 missing=default handling=strict max=3 applies=0 tx=none");

    // The first value of a kind wins, across fields too (Preferences.hs).
    QTest::newRow("first return wins") << QByteArray("PATCH")
                                       << Headers{{"Prefer", "return=minimal"}, {"Prefer", "return=representation"}} << false
                                       << QByteArray("return=minimal count=0 merge=0 ignore=0 missing=null handling=none max=-1 applies=0 tx=none");
    QTest::newRow("first resolution wins")
        << QByteArray("POST") << Headers{{"Prefer", "resolution=ignore-duplicates, resolution=merge-duplicates"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=1 missing=null handling=none max=-1 applies=0 tx=none");
    QTest::newRow("first handling wins")
        << QByteArray("GET") << Headers{{"Prefer", "handling=lenient, handling=strict, anything"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=lenient max=-1 applies=0 tx=none");

    // max-affected applies with handling=strict, to PATCH and DELETE only.
    QTest::newRow("max-affected, strict DELETE")
        << QByteArray("DELETE") << Headers{{"Prefer", "handling=strict, max-affected=10, max-affected=2"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=strict max=10 applies=1 tx=none");
    QTest::newRow("max-affected=0, strict PATCH")
        << QByteArray("PATCH") << Headers{{"Prefer", "max-affected=0"}, {"Prefer", "handling=strict"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=strict max=0 applies=1 tx=none");
    QTest::newRow("max-affected, lenient DELETE")
        << QByteArray("DELETE") << Headers{{"Prefer", "max-affected=10"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=none max=10 applies=0 tx=none");
    QTest::newRow("max-affected, strict POST")
        << QByteArray("POST") << Headers{{"Prefer", "handling=strict, max-affected=1"}} << false
        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=strict max=1 applies=0 tx=none");

    // tx= is kept only where db-tx-end allows an override; first one wins.
    QTest::newRow("tx=rollback, allowed") << QByteArray("POST") << Headers{{"Prefer", "tx=rollback, tx=commit"}} << true
                                          << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=none max=-1 applies=0 tx=rollback");
    QTest::newRow("tx=commit, allowed") << QByteArray("DELETE") << Headers{{"Prefer", "tx=commit"}} << true
                                        << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=none max=-1 applies=0 tx=commit");
    QTest::newRow("tx=rollback, not allowed") << QByteArray("POST") << Headers{{"Prefer", "handling=strict, tx=rollback"}} << false
                                              << QByteArray("return=representation count=0 merge=0 ignore=0 missing=null handling=strict max=-1 applies=0 tx=none");
    QTest::newRow("strict, bad tx") << QByteArray("POST") << Headers{{"Prefer", "handling=strict, tx=maybe"}} << true
                                    << QByteArray(strictError).replace("%1", "tx=maybe");
}

void TestApiRequest::preferences()
{
    QFETCH(QByteArray, method);
    QFETCH(Headers, headers);
    QFETCH(bool, allowTxOverride);
    QFETCH(QByteArray, expected);
    QCOMPARE(describe(method, headers, allowTxOverride), expected);
}

const char *mediaName(ApiRequest::Media m)
{
    switch (m) {
    case ApiRequest::Media::Json:
        return "json";
    case ApiRequest::Media::Csv:
        return "csv";
    case ApiRequest::Media::Object:
        return "object";
    }
    return "?";
}

void TestApiRequest::accept_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("expected"); // the media, or the error

    const QByteArray read = "GET", pets = "pets";
    const auto accept = [](const QByteArray &value) { return Headers{{"Accept", value}}; };
    // PostgREST's QuerySpec.hs and CustomMediaSpec.hs: the message lists
    // every type asked for, in the order tried.
    const QByteArray unavailable = "406 {\"code\":\"PGRST107\",\"details\":null,\"hint\":null,"
                                   "\"message\":\"None of these media types are available: %1\"}";
    QTest::newRow("no Accept") << read << pets << Headers{} << QByteArray("json");
    QTest::newRow("empty Accept") << read << pets << accept("") << QByteArray("json");
    QTest::newRow("*/*") << read << pets << accept("*/*") << QByteArray("json");
    QTest::newRow("application/json") << read << pets << accept("application/json") << QByteArray("json");
    QTest::newRow("application/*") << read << pets << accept("application/*") << QByteArray("json");
    QTest::newRow("JSON, upper case") << read << pets << accept("Application/JSON; charset=utf-8") << QByteArray("json");
    QTest::newRow("object") << read << pets << accept("application/vnd.pgrst.object+json") << QByteArray("object");
    QTest::newRow("object, no suffix") << read << pets << accept("application/vnd.pgrst.object") << QByteArray("object");
    QTest::newRow("array") << read << pets << accept("application/vnd.pgrst.array+json") << QByteArray("json");
    QTest::newRow("csv") << read << pets << accept("text/csv") << QByteArray("csv");
    // QuerySpec: "text/csv; version=1" is CSV.
    QTest::newRow("csv with a parameter") << read << pets << accept("text/csv; version=1") << QByteArray("csv");
    // QuerySpec: "client's preference should override */*" (the more
    // specific first), "honors client preference even when opposite of
    // server preference" (same q: the client's order).
    QTest::newRow("csv, */*") << read << pets << accept("text/csv, */*") << QByteArray("csv");
    QTest::newRow("*/*, csv") << read << pets << accept("*/*, text/csv") << QByteArray("csv");
    QTest::newRow("csv, json") << read << pets << accept("text/csv, application/json") << QByteArray("csv");
    QTest::newRow("json, csv") << read << pets << accept("application/json, text/csv") << QByteArray("json");
    QTest::newRow("csv;q=0.5, json") << read << pets << accept("text/csv;q=0.5, application/json") << QByteArray("json");
    QTest::newRow("json;q=0.1, csv;q=0.9") << read << pets << accept("application/json;q=0.1,text/csv;q=0.9") << QByteArray("csv");
    QTest::newRow("q with spaces") << read << pets << accept("application/json ; q=0.2, text/csv ; q=0.3") << QByteArray("csv");
    QTest::newRow("unreadable q is 1") << read << pets << accept("application/json;q=.1, text/csv;q=0.9") << QByteArray("json");
    // QuerySpec: "should respond correctly to multiple types in accept header".
    QTest::newRow("unknown, csv") << read << pets << accept("text/unknowntype, text/csv") << QByteArray("csv");
    QTest::newRow("unknown") << read << pets << accept("text/unknowntype")
                             << QByteArray(unavailable).replace("%1", "text/unknowntype");
    QTest::newRow("two unknown, by q") << read << pets << accept("text/plain;q=0.4, image/png")
                                       << QByteArray(unavailable).replace("%1", "image/png, text/plain");
    QTest::newRow("unknown keeps its parameters")
        << read << pets << accept("text/xml; charset=utf-8;q=0.5")
        << QByteArray(unavailable).replace("%1", "text/xml;charset=utf-8");
    // nulls=stripped: reads and calls; a write's rows are also its events'.
    QTest::newRow("array, nulls=stripped") << read << pets << accept("application/vnd.pgrst.array+json;nulls=stripped")
                                           << QByteArray("json stripped");
    QTest::newRow("object, nulls=stripped") << read << pets << accept("application/vnd.pgrst.object+json; nulls=stripped")
                                            << QByteArray("object stripped");
    QTest::newRow("rpc, nulls=stripped") << QByteArray("POST") << QByteArray("rpc/f")
                                         << accept("application/vnd.pgrst.array+json;nulls=stripped") << QByteArray("json stripped");
    QTest::newRow("PATCH, nulls=stripped")
        << QByteArray("PATCH") << pets << accept("application/vnd.pgrst.array+json;nulls=stripped")
        << QByteArray(unavailable).replace("%1", "application/vnd.pgrst.array+json;nulls=stripped");
    // A call's rows are CSV as a table's are.
    QTest::newRow("rpc GET csv") << read << QByteArray("rpc/f") << accept("text/csv") << QByteArray("csv");
    QTest::newRow("rpc POST csv") << QByteArray("POST") << QByteArray("rpc/f") << accept("text/csv") << QByteArray("csv");
    // A table write answers JSON only.
    QTest::newRow("POST csv") << QByteArray("POST") << pets << accept("text/csv")
                              << QByteArray(unavailable).replace("%1", "text/csv");
    QTest::newRow("PATCH csv, */*") << QByteArray("PATCH") << pets << accept("text/csv, */*") << QByteArray("json");
    QTest::newRow("DELETE object") << QByteArray("DELETE") << pets << accept("application/vnd.pgrst.object+json")
                                   << QByteArray("object");
}

void TestApiRequest::accept()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(Headers, headers);
    QFETCH(QByteArray, expected);
    HttpRequest http = request(method, "/query/" + path, headers);
    if (method == "POST")
        http.body = "{}";
    ApiError error;
    const std::optional<ApiRequest> r = ApiRequest::parse(http, path, {QStringLiteral("api")}, &error);
    const QByteArray got = r ? QByteArray(QByteArray(mediaName(r->media)) + (r->stripNulls ? " stripped" : ""))
                             : QByteArray(QByteArray::number(error.status) + ' ' + error.toJson());
    QCOMPARE(got, expected);
    if (r)
        QCOMPARE(r->singleObject, r->media == ApiRequest::Media::Object);
}

QTEST_APPLESS_MAIN(TestApiRequest)
#include "tst_apirequest.moc"
