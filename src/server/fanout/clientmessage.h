#pragma once

#include <QByteArray>
#include <QString>

namespace Aiodata::Server {

// A message a subscriber sent, parsed (untrusted bytes: fuzz_clientmessage).
struct ClientMessage
{
    enum class Kind { Subscribe, Unsubscribe, Invalid };
    Kind kind = Kind::Invalid;
    QString id;
    QString table;
    QByteArray query;
    QString problem; // Invalid: what is wrong, for the subscriptionError

    static constexpr int MaxIdLength = 64;
    static ClientMessage parse(const QByteArray &message);
};

} // namespace Aiodata::Server
