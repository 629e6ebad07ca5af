#pragma once

#include <QByteArray>

namespace Aiodata::Server {

// Turns pgoutput's text form of a column value into the JSON row_to_json
// gives for it, in the server, for the types where that is a pure function
// of the text: no query per transaction for them (docs/changecapture.md).
//
// Floats and date/time values depend on session settings. They are only
// safe here when the replication session runs with the pool's TimeZone and
// extra_float_digits and DateStyle ISO (WalSource arranges that); without
// it, pass sessionMatched = false and they are left to PostgreSQL.
class WalValueFormatter
{
public:
    // Whether values of this type OID can be formatted here.
    static bool handles(quint32 typeOid, bool sessionMatched);
    // Appends the JSON for text; false (out unchanged) when the text is not
    // in the form expected for the type, so the caller asks PostgreSQL.
    static bool append(QByteArray &out, quint32 typeOid, const QByteArray &text, bool sessionMatched);

    // JSON string with the escapes PostgreSQL's escape_json uses.
    static void appendString(QByteArray &out, const QByteArray &utf8);
    // PostgreSQL's IsValidJsonNumber: what datum_to_json writes bare.
    static bool isJsonNumber(const QByteArray &text);
};

} // namespace Aiodata::Server
