#pragma once

#include <QByteArray>
#include <QString>
#include <QVariantList>

namespace Aiodata {

class Reply;

// How a TableModel sends its writes: Client implements it over HTTP; unit
// tests of the model may implement it in-process.
class WriteTransport
{
public:
    virtual ~WriteTransport() = default;
    // method: "POST", "PATCH" or "DELETE"; keyPrefix selects rows by primary
    // key prefix (/query/<table>/<k1>/...); body is JSON (empty for DELETE).
    virtual Reply *sendWrite(const QByteArray &method, const QString &table,
                             const QVariantList &keyPrefix, const QByteArray &body) = 0;
};

} // namespace Aiodata
