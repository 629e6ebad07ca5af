#pragma once

// Shared by the libFuzzer targets in this folder.

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include <cstdio>
#include <cstdlib>

namespace AiodataFuzz {

// Qt's debug/warning output would drown libFuzzer's and slow every run:
// dropped. Fatal messages (qFatal, a failed Q_ASSERT, QAbstractItemModelTester
// in fatal mode) still print and abort, which libFuzzer reports as a crash.
inline void quietMessageHandler(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    if (type == QtFatalMsg) {
        std::fprintf(stderr, "qFatal: %s\n", qUtf8Printable(message));
        std::fflush(stderr);
        std::abort();
    }
}

inline void installQuietMessageHandler()
{
    static const bool once = [] {
        qInstallMessageHandler(quietMessageHandler);
        return true;
    }();
    Q_UNUSED(once);
}

// An invariant of the code under test; a violation is a finding, reported
// like a crash (libFuzzer saves the input as crash-<sha1>).
[[noreturn]] inline void invariantFailed(const char *file, int line, const char *what, const QByteArray &detail)
{
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n%s\n", file, line, what, detail.constData());
    std::fflush(stderr);
    std::abort();
}

} // namespace AiodataFuzz

#define FUZZ_CHECK(condition, detail)                                                                   \
    do {                                                                                                \
        if (!(condition))                                                                               \
            ::AiodataFuzz::invariantFailed(__FILE__, __LINE__, #condition, QByteArray(detail));         \
    } while (false)
