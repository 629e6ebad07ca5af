#pragma once

#include <QByteArray>

namespace Aiodata::Server::PgType {

// PostgreSQL's built-in type OIDs (pg_type.dat: fixed across versions), the
// ones the server treats by type: one table for the WAL converter and the
// value formatter.
enum Oid : quint32 {
    Bool = 16,
    Bytea = 17,
    Char = 18,
    Name = 19,
    Int8 = 20,
    Int2 = 21,
    Int4 = 23,
    ObjectId = 26,
    Json = 114,
    Xml = 142,
    Cidr = 650,
    Float4 = 700,
    Float8 = 701,
    Money = 790,
    Macaddr = 829,
    Inet = 869,
    Bpchar = 1042,
    Varchar = 1043,
    Date = 1082,
    Time = 1083,
    Timestamp = 1114,
    TimestampTz = 1184,
    Interval = 1186,
    TimeTz = 1266,
    Numeric = 1700,
    Uuid = 2950,
    Jsonb = 3802,
    BoolArray = 1000,
    ByteaArray = 1001,
    Int2Array = 1005,
    Int4Array = 1007,
    Int8Array = 1016,
    TextArray = 1009,
    VarcharArray = 1015,
    Float4Array = 1021,
    Float8Array = 1022,
    NumericArray = 1231,
    DateArray = 1182,
    TimestampArray = 1115,
    TimestampTzArray = 1185,
    UuidArray = 2951,
    JsonArray = 199,
    JsonbArray = 3807,
    Text = 25,
};

// The type's name as json_to_recordset takes it without any privilege;
// empty for types that are not built in (domains, enums, arrays of those),
// which must be looked up in pg_type.
QByteArray builtinName(quint32 oid);

inline bool isJson(quint32 oid)
{
    return oid == Json || oid == Jsonb;
}

} // namespace Aiodata::Server::PgType
