#pragma once

#include <Aiodata/tableschema.h>

#include <QCoreApplication>
#include <QVariant>

namespace Aiodata::Viewer {

// Text as users type it <-> cell values as the server takes them, by the
// column's PostgreSQL type. Empty text is NULL.
class ColumnValue
{
    Q_DECLARE_TR_FUNCTIONS(Aiodata::Viewer::ColumnValue)
public:
    enum Kind { Text, Integer, Real, Boolean, Json };

    static Kind kind(const ColumnSchema &column);
    // Required when adding a row: key columns, and NOT NULL ones without a default.
    static bool isRequired(const ColumnSchema &column);
    // The value to send for `text`; an invalid QVariant and *error set if it does not parse.
    static QVariant fromText(const ColumnSchema &column, const QString &text, QString *error = nullptr);
    // Editable text for a value (JSON for arrays and objects, empty for NULL).
    static QString toText(const QVariant &value);
    static bool isNull(const QVariant &value) { return !value.isValid() || value.isNull(); }
};

} // namespace Aiodata::Viewer
