#include "pg/pgtype.h"

namespace Aiodata::Server::PgType {

QByteArray builtinName(quint32 oid)
{
    switch (oid) {
    case Bool: return "bool";
    case Bytea: return "bytea";
    case Char: return "\"char\"";
    case Name: return "name";
    case Int8: return "int8";
    case Int2: return "int2";
    case Int4: return "int4";
    case ObjectId: return "oid";
    case Json: return "json";
    case Xml: return "xml";
    case Cidr: return "cidr";
    case Float4: return "float4";
    case Float8: return "float8";
    case Money: return "money";
    case Macaddr: return "macaddr";
    case Inet: return "inet";
    case Bpchar: return "bpchar";
    case Varchar: return "varchar";
    case Date: return "date";
    case Time: return "time";
    case Timestamp: return "timestamp";
    case TimestampTz: return "timestamptz";
    case Interval: return "interval";
    case TimeTz: return "timetz";
    case Numeric: return "numeric";
    case Uuid: return "uuid";
    case Jsonb: return "jsonb";
    case BoolArray: return "bool[]";
    case ByteaArray: return "bytea[]";
    case Int2Array: return "int2[]";
    case Int4Array: return "int4[]";
    case Int8Array: return "int8[]";
    case TextArray: return "text[]";
    case VarcharArray: return "varchar[]";
    case Float4Array: return "float4[]";
    case Float8Array: return "float8[]";
    case NumericArray: return "numeric[]";
    case DateArray: return "date[]";
    case TimestampArray: return "timestamp[]";
    case TimestampTzArray: return "timestamptz[]";
    case UuidArray: return "uuid[]";
    case JsonArray: return "json[]";
    case JsonbArray: return "jsonb[]";
    case Text: return "text";
    default: return QByteArray();
    }
}

} // namespace Aiodata::Server::PgType
