// Tests for ApiResponse, the answer to a committed /query job: status,
// Content-Range, Preference-Applied and the body, from results alone (the
// integration tests check the same answers through a real server).

#include "rest/apiresponse.h"

#include <QtTest>

using namespace Aiodata::Server;

Q_DECLARE_METATYPE(ApiRequest)
Q_DECLARE_METATYPE(PgResult)

namespace {

using Operation = ApiRequest::Operation;
using Count = ApiRequest::Count;

// SqlBuilder's result row: rows JSON, row count, column 2, column 3.
PgResult statementResult(const QByteArray &rows, qint64 count, const QByteArray &column2 = {},
                         const QByteArray &column3 = {})
{
    PgResult result;
    result.ok = true;
    result.columns = 4;
    result.affected = 1;
    result.rows = {{rows, QByteArray::number(count), column2, column3}};
    return result;
}

// A bare write's result (Rows::NotNeeded): no row, only the command tag's count.
PgResult bareResult(qint64 affected)
{
    PgResult result;
    result.ok = true;
    result.affected = affected;
    return result;
}

QByteArray header(const HttpResponse &response, const QByteArray &name)
{
    for (const auto &h : response.headers) {
        if (h.first == name)
            return h.second;
    }
    return "(none)";
}

// The response as one comparable line.
QByteArray describe(const HttpResponse &r)
{
    return QByteArray::number(r.status) + " range=" + header(r, "Content-Range") + " applied="
        + header(r, "Preference-Applied") + " snapshot=" + header(r, "Aiodata-Snapshot") + " body=" + r.body;
}

} // namespace

class TestApiResponse : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fromResults_data();
    void fromResults();
    void readContentRange_data();
    void readContentRange();
};

void TestApiResponse::fromResults_data()
{
    QTest::addColumn<ApiRequest>("request");
    QTest::addColumn<PgResult>("result");
    QTest::addColumn<PgResult>("planned");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray three = R"([{"id":1}, {"id":2}, {"id":3}])";
    const QByteArray one = R"([{"id":1}])";
    ApiRequest read;
    QTest::newRow("read") << read << statementResult(three, 3, {}, "10:10:") << PgResult()
                          << "200 range=0-2/* applied=(none) snapshot=10:10: body=" + three;
    ApiRequest empty;
    empty.offset = 5;
    QTest::newRow("read: no rows") << empty << statementResult("[]", 0) << PgResult()
                                   << QByteArray("200 range=*/* applied=(none) snapshot= body=[]");
    ApiRequest exact;
    exact.count = Count::Exact;
    exact.offset = 2;
    QTest::newRow("count=exact, part") << exact << statementResult(three, 3, "10") << PgResult()
                                       << "206 range=2-4/10 applied=(none) snapshot= body=" + three;
    QTest::newRow("count=exact, all") << exact << statementResult(three, 3, "5") << PgResult()
                                      << "200 range=2-4/5 applied=(none) snapshot= body=" + three;
    ApiRequest estimated;
    estimated.count = Count::Estimated;
    estimated.limit = 3;
    QTest::newRow("count=estimated, under the bound") << estimated << statementResult(three, 3, "700") << PgResult()
                                                      << "206 range=0-2/700 applied=(none) snapshot= body=" + three;
    PgResult explain;
    explain.rows = {{R"([{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 5000}}])"}};
    QTest::newRow("count=estimated, over the bound") << estimated << statementResult(three, 3, "1001") << explain
                                                     << "206 range=0-2/5000 applied=(none) snapshot= body=" + three;
    ApiRequest planned;
    planned.count = Count::Planned;
    QTest::newRow("count=planned, not cut short") << planned << statementResult(three, 3) << explain
                                                  << "200 range=0-2/3 applied=(none) snapshot= body=" + three;
    planned.limit = 3;
    QTest::newRow("count=planned, cut short") << planned << statementResult(three, 3) << explain
                                              << "206 range=0-2/5000 applied=(none) snapshot= body=" + three;
    ApiRequest object;
    object.singleObject = true;
    QTest::newRow("object") << object << statementResult(one, 1) << PgResult()
                            << QByteArray(R"(200 range=0-0/* applied=(none) snapshot= body={"id":1})");
    QTest::newRow("object of two rows")
        << object << statementResult(three, 3) << PgResult()
        << QByteArray(R"(406 range=(none) applied=(none) snapshot=(none) body={"code":"PGRST116","details":"The result contains 3 rows","hint":null,"message":"JSON object requested, multiple (or no) rows returned"})");

    ApiRequest create;
    create.operation = Operation::Create;
    QTest::newRow("create") << create << statementResult(one, 1) << PgResult()
                            << "201 range=*/1 applied=return=representation snapshot=(none) body=" + one;
    ApiRequest createObject = create;
    createObject.singleObject = true;
    QTest::newRow("create an object") << createObject << statementResult(one, 1) << PgResult()
                                      << QByteArray(R"(201 range=*/1 applied=return=representation snapshot=(none) body={"id":1})");
    QTest::newRow("create an object of no rows") << createObject << statementResult("[]", 0) << PgResult()
                                                 << QByteArray("201 range=*/0 applied=return=representation snapshot=(none) body=[]");
    ApiRequest upsert = create;
    upsert.returnRepresentation = false;
    upsert.mergeDuplicates = true;
    QTest::newRow("upsert, minimal, bare") << upsert << bareResult(2) << PgResult()
                                           << QByteArray("201 range=*/2 applied=return=minimal, resolution=merge-duplicates snapshot=(none) body=");
    upsert.mergeDuplicates = false;
    upsert.ignoreDuplicates = true;
    QTest::newRow("upsert, ignore") << upsert << statementResult(one, 1) << PgResult()
                                    << QByteArray("201 range=*/1 applied=return=minimal, resolution=ignore-duplicates snapshot=(none) body=");
    ApiRequest update;
    update.operation = Operation::Update;
    update.select = {QStringLiteral("id")};
    QTest::newRow("update, select=") << update << statementResult(R"([{"id":1,"name":"a"}])", 1, "[]", one) << PgResult()
                                     << "200 range=*/1 applied=return=representation snapshot=(none) body=" + one;
    ApiRequest remove;
    remove.operation = Operation::Delete;
    remove.returnRepresentation = false;
    QTest::newRow("delete, minimal") << remove << bareResult(3) << PgResult()
                                     << QByteArray("204 range=*/3 applied=return=minimal snapshot=(none) body=");

    // handling= and max-affected= as PostgREST's prefAppliedHeader names
    // them: max-affected only with handling=strict, where it applies.
    ApiRequest strictDelete = remove;
    strictDelete.handling = ApiRequest::Handling::Strict;
    strictDelete.maxAffected = 10;
    QTest::newRow("delete, strict, max-affected")
        << strictDelete << bareResult(3) << PgResult()
        << QByteArray("204 range=*/3 applied=return=minimal, handling=strict, max-affected=10 snapshot=(none) body=");
    ApiRequest lenientDelete = strictDelete;
    lenientDelete.handling = ApiRequest::Handling::Lenient;
    QTest::newRow("delete, lenient, max-affected")
        << lenientDelete << bareResult(3) << PgResult()
        << QByteArray("204 range=*/3 applied=return=minimal, handling=lenient snapshot=(none) body=");
    ApiRequest rolledBack = create;
    rolledBack.tx = ApiRequest::Tx::Rollback;
    QTest::newRow("create, tx=rollback") << rolledBack << statementResult(one, 1) << PgResult()
                                         << "201 range=*/1 applied=return=representation, tx=rollback snapshot=(none) body=" + one;
    ApiRequest lenientRead;
    lenientRead.handling = ApiRequest::Handling::Lenient;
    QTest::newRow("read, lenient") << lenientRead << statementResult(three, 3, {}, "10:10:") << PgResult()
                                   << "200 range=0-2/* applied=handling=lenient snapshot=10:10: body=" + three;
}

void TestApiResponse::fromResults()
{
    QFETCH(ApiRequest, request);
    QFETCH(PgResult, result);
    QFETCH(PgResult, planned);
    QFETCH(QByteArray, expected);
    QList<PgResult> results = {PgResult(), result};
    if (request.count == Count::Planned || request.count == Count::Estimated)
        results.append(planned);
    const HttpResponse response = ApiResponse::fromResults(request, results);
    QCOMPARE(describe(response), expected);
    QCOMPARE(header(response, "Content-Type"), QByteArray("application/json; charset=utf-8"));
}

void TestApiResponse::readContentRange_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("answered");
    QTest::addColumn<qint64>("total");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("unknown total") << qint64(0) << qint64(10) << qint64(-1) << QByteArray("0-9/*");
    QTest::newRow("known total") << qint64(10) << qint64(5) << qint64(15) << QByteArray("10-14/15");
    QTest::newRow("no rows") << qint64(20) << qint64(0) << qint64(15) << QByteArray("*/15");
    QTest::newRow("no rows, unknown total") << qint64(0) << qint64(0) << qint64(-1) << QByteArray("*/*");
}

void TestApiResponse::readContentRange()
{
    QFETCH(qint64, offset);
    QFETCH(qint64, answered);
    QFETCH(qint64, total);
    QFETCH(QByteArray, expected);
    QCOMPARE(ApiResponse::readContentRange(offset, answered, total), expected);
}

QTEST_GUILESS_MAIN(TestApiResponse)
#include "tst_apiresponse.moc"
