// HttpParser (the server's HTTP/1.1 request framing) on fuzzed bytes, fed
// the way HttpConnection feeds it: the bytes not consumed yet, again after
// each piece arrives.
//
// Input: the first byte says where the rest is split in two pieces, in
// proportion (0x00: before the first byte, 0xff: after the last); the rest
// is the bytes off the wire, any number of pipelined requests.
// Limits: 1024 bytes of header, 2048 of body (small, so 431 and 413 are
// reached within libFuzzer's input sizes).
//
// Invariants:
//   - consumed is never negative nor more than the bytes given;
//   - a result is a request or an error, never both: after an error there
//     is no request to take, after a request no error status; an error is
//     400, 411, 413, 431 or 505 with a message, and final;
//   - a complete request's body is exactly its Content-Length (0 without
//     one), within the limit; it has no Transfer-Encoding, no two different
//     Content-Lengths, a token method, a target of visible characters, token
//     header names and values without CR, LF or NUL, and a head within the
//     header limit;
//   - the same requests, error and unconsumed rest however the bytes are
//     split: whole, at the fuzzer's point, and (up to 512 bytes) one byte at
//     a time.

#include "fuzzsupport.h"
#include "http/httpparser.h"

#include <QList>

#include <cstddef>
#include <cstdint>

using namespace Aiodata::Server;

namespace {

HttpLimits fuzzLimits()
{
    HttpLimits limits;
    limits.maxHeaderBytes = 1024;
    limits.maxBodyBytes = 2048;
    return limits;
}

// The grammar again, written apart from http/httpsyntax_p.h on purpose: an
// oracle that shared the parser's code would share its mistakes.
bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

QByteArray describe(const HttpRequest &r)
{
    QByteArray out = r.method + ' ' + r.target + " path=" + r.path + " query=" + r.query;
    for (const auto &h : r.headers)
        out += " [" + h.first + ": " + h.second + ']';
    out += " body=" + r.body;
    return out;
}

void checkRequest(const HttpRequest &r, const HttpParser &parser, const QByteArray &input)
{
    const QByteArray context = "\nrequest: " + describe(r) + "\ninput: " + input;
    const HttpLimits limits = fuzzLimits();
    FUZZ_CHECK(isToken(r.method), "method not a token" + context);
    FUZZ_CHECK(!r.target.isEmpty(), "empty target" + context);
    for (char c : r.target)
        FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f, "space or control character in the target" + context);
    FUZZ_CHECK(r.path.startsWith('/') || r.path == r.target.left(r.path.size()),
               "path neither origin-form nor the target's start" + context);
    FUZZ_CHECK(parser.headerSize() >= 4 && parser.headerSize() <= limits.maxHeaderBytes, "head size "
               + QByteArray::number(parser.headerSize()) + " outside the limit" + context);

    qint64 length = 0;
    bool haveLength = false;
    for (const auto &h : r.headers) {
        FUZZ_CHECK(isToken(h.first), "header name not a token" + context);
        for (char c : h.second)
            FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a header value" + context);
        FUZZ_CHECK(h.second == h.second.trimmed(), "header value not trimmed" + context);
        FUZZ_CHECK(h.first.compare("Transfer-Encoding", Qt::CaseInsensitive) != 0,
                   "a request with Transfer-Encoding" + context);
        if (h.first.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            bool ok = false;
            const qint64 value = h.second.toLongLong(&ok);
            FUZZ_CHECK(ok && value >= 0, "an invalid Content-Length accepted" + context);
            FUZZ_CHECK(!haveLength || value == length, "two different Content-Lengths accepted" + context);
            length = value;
            haveLength = true;
        }
    }
    FUZZ_CHECK(r.body.size() == length, "body of " + QByteArray::number(r.body.size()) + " bytes, Content-Length "
               + QByteArray::number(length) + context);
    FUZZ_CHECK(parser.contentLength() == length, "contentLength() is not the header's" + context);
    FUZZ_CHECK(r.body.size() <= limits.maxBodyBytes, "body over the limit" + context);
    FUZZ_CHECK(parser.isUpgrade() == r.isWebSocketUpgrade(), "isUpgrade() disagrees with the request" + context);
    FUZZ_CHECK(!parser.isUpgrade() || r.body.isEmpty(), "an upgrade with a body" + context);
}

struct Outcome
{
    QList<QByteArray> requests;
    int errorStatus = 0;
    QString errorMessage;
    qsizetype unconsumed = 0;

    bool operator==(const Outcome &) const = default;

    QByteArray text() const
    {
        return "requests: " + requests.join(" | ") + "\nerror: " + QByteArray::number(errorStatus) + ' '
            + errorMessage.toUtf8() + "\nunconsumed: " + QByteArray::number(unconsumed);
    }
};

// Feeds `wire` in pieces ending at `ends` (ascending, the last one
// wire.size()), as the connection does.
Outcome run(const QByteArray &wire, const QList<qsizetype> &ends, const QByteArray &input)
{
    HttpParser parser(fuzzLimits());
    Outcome out;
    QByteArray buffer;
    qsizetype from = 0;
    for (qsizetype end : ends) {
        buffer += wire.mid(from, end - from);
        from = end;
        for (;;) {
            const HttpParser::Result r = parser.feed(buffer);
            FUZZ_CHECK(r.consumed >= 0 && r.consumed <= buffer.size(), "consumed " + QByteArray::number(r.consumed)
                       + " of " + QByteArray::number(buffer.size()) + " bytes\ninput: " + input);
            buffer.remove(0, r.consumed);
            if (r.status == HttpParser::Status::Error) {
                const int status = parser.errorStatus();
                FUZZ_CHECK(status == 400 || status == 411 || status == 413 || status == 431 || status == 505,
                           "error status " + QByteArray::number(status) + "\ninput: " + input);
                FUZZ_CHECK(!parser.errorMessage().isEmpty(), "error without a message\ninput: " + input);
                FUZZ_CHECK(parser.takeRequest().method.isEmpty(), "a request to take after an error\ninput: " + input);
                const HttpParser::Result again = parser.feed(buffer);
                FUZZ_CHECK(again.status == HttpParser::Status::Error && again.consumed == 0,
                           "an error is not final\ninput: " + input);
                out.errorStatus = status;
                out.errorMessage = parser.errorMessage();
                out.unconsumed = buffer.size() + (wire.size() - from);
                return out;
            }
            if (r.status == HttpParser::Status::Complete) {
                FUZZ_CHECK(parser.errorStatus() == 0, "a request with an error status\ninput: " + input);
                FUZZ_CHECK(!parser.isReadingBody(), "complete but reading a body\ninput: " + input);
                const HttpRequest request = parser.takeRequest();
                checkRequest(request, parser, input);
                out.requests.append(describe(request));
                continue;
            }
            FUZZ_CHECK(!parser.isReadingBody() || parser.bodyRemaining() > 0, "reading a body of 0 bytes\ninput: " + input);
            if (r.consumed == 0)
                break; // wait for the next piece
        }
    }
    out.unconsumed = buffer.size();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const QByteArray wire = input.sliced(1);
    const qsizetype cut = wire.size() * qsizetype(data[0]) / 255;

    const Outcome whole = run(wire, {wire.size()}, input);
    const Outcome split = run(wire, {cut, wire.size()}, input);
    FUZZ_CHECK(split == whole, "split at " + QByteArray::number(cut) + " differs:\n" + split.text() + "\nwhole:\n"
               + whole.text() + "\ninput: " + input);
    if (wire.size() <= 512) {
        QList<qsizetype> everyByte;
        for (qsizetype i = 1; i <= wire.size(); ++i)
            everyByte.append(i);
        if (everyByte.isEmpty())
            everyByte.append(0);
        const Outcome bytes = run(wire, everyByte, input);
        FUZZ_CHECK(bytes == whole, "byte by byte differs:\n" + bytes.text() + "\nwhole:\n" + whole.text()
                   + "\ninput: " + input);
    }
    return 0;
}
