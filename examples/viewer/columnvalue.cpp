#include "columnvalue.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QLocale>

namespace Aiodata::Viewer {

ColumnValue::Kind ColumnValue::kind(const ColumnSchema &column)
{
    // Arrays go over the wire as JSON arrays, whatever their element type.
    if (column.arrayDimensions > 0 || column.type.endsWith(QLatin1String("[]")))
        return Json;
    const QString type = column.type;
    if (type == QLatin1String("integer") || type == QLatin1String("bigint") || type == QLatin1String("smallint"))
        return Integer;
    if (type.startsWith(QLatin1String("numeric")) || type == QLatin1String("real")
        || type == QLatin1String("double precision"))
        return Real;
    if (type == QLatin1String("boolean"))
        return Boolean;
    if (type == QLatin1String("json") || type == QLatin1String("jsonb"))
        return Json;
    return Text;
}

bool ColumnValue::isRequired(const ColumnSchema &column)
{
    return column.isPrimaryKey() || (!column.nullable && !column.hasDefault);
}

QVariant ColumnValue::fromText(const ColumnSchema &column, const QString &text, QString *error)
{
    const auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return QVariant();
    };
    const QString trimmed = text.trimmed();
    const Kind k = kind(column);
    if (trimmed.isEmpty()) {
        // Text columns that may not be NULL take the empty string instead.
        if (k == Text && !column.nullable)
            return QString();
        if (!column.nullable)
            return fail(tr("%1 needs a value.").arg(column.name));
        return QVariant::fromValue(nullptr);
    }
    bool ok = false;
    switch (k) {
    case Integer: {
        qlonglong value = trimmed.toLongLong(&ok);
        if (!ok)
            value = QLocale().toLongLong(trimmed, &ok);
        if (!ok)
            return fail(tr("%1 needs a whole number, not “%2”.").arg(column.name, trimmed));
        return value;
    }
    case Real: {
        double value = trimmed.toDouble(&ok);
        if (!ok)
            value = QLocale().toDouble(trimmed, &ok);
        if (!ok)
            return fail(tr("%1 needs a number, not “%2”.").arg(column.name, trimmed));
        return value;
    }
    case Boolean: {
        const QString lower = trimmed.toLower();
        static const QStringList yes{QStringLiteral("true"), QStringLiteral("t"), QStringLiteral("yes"),
                                     QStringLiteral("y"), QStringLiteral("1"), QStringLiteral("on")};
        static const QStringList no{QStringLiteral("false"), QStringLiteral("f"), QStringLiteral("no"),
                                    QStringLiteral("n"), QStringLiteral("0"), QStringLiteral("off")};
        if (yes.contains(lower) || lower == tr("true").toLower())
            return true;
        if (no.contains(lower) || lower == tr("false").toLower())
            return false;
        return fail(tr("%1 needs true or false, not “%2”.").arg(column.name, trimmed));
    }
    case Json: {
        // Wrapped in an array so scalars parse too.
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray("[") + trimmed.toUtf8() + ']', &parseError);
        if (parseError.error != QJsonParseError::NoError || doc.array().size() != 1)
            return fail(tr("%1 needs JSON, e.g. [1, 2] or {\"a\": 1}.").arg(column.name));
        return doc.array().first().toVariant();
    }
    case Text:
        break;
    }
    return text;
}

QString ColumnValue::toText(const QVariant &value)
{
    if (isNull(value))
        return QString();
    if (value.typeId() == QMetaType::QVariantList || value.typeId() == QMetaType::QVariantMap) {
        const QJsonValue json = QJsonValue::fromVariant(value);
        const QJsonDocument doc = json.isArray() ? QJsonDocument(json.toArray()) : QJsonDocument(json.toObject());
        return QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
    }
    if (value.typeId() == QMetaType::Bool)
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return value.toString();
}

} // namespace Aiodata::Viewer
