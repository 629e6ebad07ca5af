#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringView>

#include <optional>

namespace Aiodata::Server {

// Where in a token's claims the role is: jwt-role-claim-key, in the two
// syntaxes PostgREST reads (Config/JSPath.hs, Config/DeprecatedJSPath.hs).
//
// - RFC 9535 JSONPath, tried first: `$`, then segments `.name`, `['name']`,
//   `["name"]` (JSON escapes) and `[n]` (negative n counts from the end).
//   Wildcards, slices, descendants and filters are refused at parse time:
//   a role needs one value, and they would select many.
// - PostgREST's older syntax: one or more of `.name` (letters, digits, `_`,
//   `$`, `@`), `."any text but a double quote"`, `[n]`, and at the end one
//   filter `[?(@ == "text")]` with `==`, `!=`, `^==` (starts with), `==^`
//   (ends with) or `*==` (contains), which picks the first string of an array
//   that matches.
//
// Pure: parsing and evaluation touch nothing but their arguments.
class ClaimPath
{
public:
    // nullopt and *error (saying where and what was expected) when the text
    // is in neither syntax.
    static std::optional<ClaimPath> parse(QStringView text, QString *error);

    // The value the path names, nullopt when the claims have none there (a
    // JSON null that is there is returned as one).
    std::optional<QJsonValue> evaluate(const QJsonObject &claims) const;

    // What evaluate() found as the role text, as PostgREST makes it: a
    // string as it is, any other JSON value in its compact JSON encoding.
    static QString roleText(const QJsonValue &value);

    const QString &text() const { return m_text; }

private:
    enum class Filter { Equals, NotEquals, StartsWith, EndsWith, Contains };
    struct Step {
        enum class Kind { Key, Index, Filter } kind = Kind::Key;
        QString key;            // Key; Filter: the operand
        qint64 index = 0;       // Index (negative: from the end)
        Filter filter = Filter::Equals;
    };

    static std::optional<QList<Step>> parseRfc9535(QStringView text, QString *error);
    static std::optional<QList<Step>> parseDeprecated(QStringView text, QString *error);

    QString m_text;
    QList<Step> m_steps;
};

} // namespace Aiodata::Server
