// The write journal reader (src/client/cache/writejournal.h): the bytes of
// <partition>/writes.journal, which a crash may have cut short or anything
// may have damaged.
//
// Input: the file. It is read twice: as is, and with every record's XXH3-64
// made right (walking the records by their lengths), so that the fuzzer
// explores what lies behind the checksums (the seeds in
// corpus/fuzz_writejournal carry zeros there for that reason).
//
// Invariants: no crash or sanitizer report; what is kept is a prefix of the
// file; the pending writes, written out again, read back the same and whole.

#include "fuzzsupport.h"
#include "cache/writejournal.h"

#include <QtEndian>

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace Aiodata;

namespace {

void check(const QByteArray &file)
{
    QString why;
    const auto contents = Internal::WriteJournal::parse(file, &why);
    if (!contents) {
        FUZZ_CHECK(!why.isEmpty(), "refused without a reason");
        return;
    }
    FUZZ_CHECK(contents->validBytes <= file.size(), "kept more than the file");
    FUZZ_CHECK(contents->pending.size() <= contents->records, "more writes than records");

    QByteArray again = Internal::WriteJournal::header();
    for (const Internal::JournalEntry &e : contents->pending)
        again += Internal::WriteJournal::writeRecord(e);
    const auto reread = Internal::WriteJournal::parse(again, &why);
    FUZZ_CHECK(reread, "what was read does not read back: " + why.toUtf8());
    FUZZ_CHECK(reread->validBytes == again.size(), "a journal written out does not read whole");
    FUZZ_CHECK(reread->pending == contents->pending, "the writes differ after a round trip");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray file(reinterpret_cast<const char *>(data), qsizetype(size));
    check(file);
    constexpr qsizetype header = 12, head = 12; // "AIOWRITE" + version; u32 length + u64 sum
    for (qsizetype at = header; file.size() - at >= head;) {
        const quint32 n = qFromLittleEndian<quint32>(file.constData() + at);
        if (qsizetype(n) > file.size() - at - head)
            break;
        const quint64 sum = qToLittleEndian(quint64(XXH3_64bits(file.constData() + at + head, n)));
        std::memcpy(file.data() + at + 4, &sum, 8);
        at += head + n;
    }
    check(file);
    return 0;
}
