// Config::parse (the PostgREST config file format) on arbitrary bytes, and
// Config::setListen on the same bytes as a HOST:PORT string.

#include "base/config.h"
#include "fuzzsupport.h"

#include <QDir>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>

using Aiodata::Server::Config;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    // "jwt-secret = @path" reads that file relative to the working
    // directory: work in an empty one, so relative names find nothing.
    static QTemporaryDir empty;
    QDir::setCurrent(empty.path());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    // An absolute "@/dev/zero" (or "@../..") would read the machine's files:
    // a config file is trusted input, and reading an endless file is no bug.
    if (text.contains("@/") || text.contains("@."))
        return -1; // not added to the corpus

    QString error;
    const auto config = Config::parse(text, &error);
    if (config) {
        // Documented guarantees of a successful parse.
        FUZZ_CHECK(!config->dbUri.isEmpty(), text);
        FUZZ_CHECK(!config->dbSchemas.isEmpty(), text);
        for (const QString &schema : config->dbSchemas)
            FUZZ_CHECK(!schema.isEmpty() && schema == schema.trimmed() && !schema.contains(QLatin1Char(',')), text);
        FUZZ_CHECK(config->dbPool > 0, text);
    } else {
        // A refused file always says why, on one line.
        FUZZ_CHECK(!error.isEmpty() && !error.contains(QLatin1Char('\n')), text);
    }

    Config listen;
    const quint16 portBefore = listen.listenPort;
    const bool ok = listen.setListen(QString::fromUtf8(text));
    if (!ok)
        FUZZ_CHECK(listen.listenPort == portBefore, text); // refused: nothing changed
    return 0;
}
