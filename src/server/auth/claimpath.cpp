#include "auth/claimpath.h"

#include <optional>

#include <QJsonArray>
#include <QJsonDocument>

namespace Aiodata::Server {

namespace {

// A cursor over the text; every parse error names the position (1-based)
// and what was expected there.
struct Cursor {
    QStringView text;
    qsizetype pos = 0;

    bool atEnd() const { return pos >= text.size(); }
    QChar peek(qsizetype ahead = 0) const
    {
        return pos + ahead < text.size() ? text.at(pos + ahead) : QChar();
    }
    bool eat(QChar c)
    {
        if (atEnd() || text.at(pos) != c)
            return false;
        ++pos;
        return true;
    }
    bool eat(QLatin1StringView s)
    {
        if (!text.sliced(pos).startsWith(s))
            return false;
        pos += s.size();
        return true;
    }
    void skipBlanks()
    {
        while (!atEnd() && (peek() == u' ' || peek() == u'\t' || peek() == u'\n' || peek() == u'\r'))
            ++pos;
    }
    // The legacy syntax's "quoted" text (no escapes), the cursor on its
    // opening quote; nullopt (and *error) without a closing one.
    std::optional<QString> legacyQuoted(QString *error)
    {
        ++pos;
        const qsizetype close = text.indexOf(u'"', pos);
        if (close < 0) {
            fail(error, QStringLiteral("the closing \""));
            return std::nullopt;
        }
        QString quoted = text.sliced(pos, close - pos).toString();
        pos = close + 1;
        return quoted;
    }
    bool fail(QString *error, const QString &expected) const
    {
        if (error)
            *error = QStringLiteral("at position %1: expected %2").arg(pos + 1).arg(expected);
        return false;
    }
};

// Digits of an array index; RFC 9535 allows no leading zeros and no -0, and
// an index within +-(2^53 - 1).
bool parseIndex(Cursor &c, bool allowNegative, qint64 *index, QString *error)
{
    const qsizetype start = c.pos;
    const bool negative = allowNegative && c.eat(u'-');
    if (!c.peek().isDigit() || c.peek().unicode() > 127)
        return c.fail(error, QStringLiteral("a digit"));
    if (allowNegative && c.peek() == u'0' && (negative || c.peek(1).isDigit()))
        return c.fail(error, QStringLiteral("an index without leading zeros"));
    qint64 value = 0;
    constexpr qint64 Max = (qint64(1) << 53) - 1;
    while (!c.atEnd() && c.peek().unicode() >= '0' && c.peek().unicode() <= '9') {
        value = value * 10 + (c.peek().unicode() - '0');
        if (value > Max) {
            c.pos = start;
            return c.fail(error, QStringLiteral("an index of at most %1").arg(Max));
        }
        ++c.pos;
    }
    *index = negative ? -value : value;
    return true;
}

// name-first and name-char of RFC 9535's member-name-shorthand.
bool isNameFirst(QChar ch)
{
    const char16_t u = ch.unicode();
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool isNameChar(QChar ch)
{
    return isNameFirst(ch) || (ch.unicode() >= '0' && ch.unicode() <= '9');
}

// A quoted member name in RFC 9535 (JSON-like escapes, either quote).
bool parseQuotedName(Cursor &c, QString *name, QString *error)
{
    const QChar quote = c.peek();
    ++c.pos;
    name->clear();
    while (true) {
        if (c.atEnd())
            return c.fail(error, QStringLiteral("the closing %1").arg(quote));
        const QChar ch = c.peek();
        if (ch == quote) {
            ++c.pos;
            return true;
        }
        if (ch.unicode() < 0x20)
            return c.fail(error, QStringLiteral("no control character in a name"));
        if (ch != u'\\') {
            name->append(ch);
            ++c.pos;
            continue;
        }
        ++c.pos;
        const QChar e = c.peek();
        static const QLatin1StringView plain("btnfr/\\\"'");
        static const char16_t replacement[] = {u'\b', u'\t', u'\n', u'\f', u'\r', u'/', u'\\', u'"', u'\''};
        const qsizetype which = plain.indexOf(e);
        if (which >= 0 && !c.atEnd() && (e != u'"' || quote == u'"') && (e != u'\'' || quote == u'\'')) {
            name->append(QChar(replacement[which]));
            ++c.pos;
        } else if (e == u'u') {
            ++c.pos;
            bool ok = false;
            const uint code = c.text.sliced(c.pos).left(4).toUInt(&ok, 16);
            if (!ok || c.text.size() - c.pos < 4)
                return c.fail(error, QStringLiteral("four hexadecimal digits after \\u"));
            name->append(QChar(char16_t(code)));
            c.pos += 4;
        } else {
            return c.fail(error, QStringLiteral("an escape (\\b \\t \\n \\f \\r \\/ \\\\ \\%1 \\uXXXX)").arg(quote));
        }
    }
}

QString describeUnsupported(QChar ch)
{
    if (ch == u'*')
        return QStringLiteral("a name or an index (wildcards select many values, a role is one)");
    if (ch == u'?')
        return QStringLiteral("a name or an index (filters are not supported in $ paths; "
                              "the .name[?(@ == \"text\")] form is)");
    if (ch == u':')
        return QStringLiteral("a name or an index (slices are not supported)");
    return QStringLiteral("a name or an index");
}

} // namespace

std::optional<ClaimPath> ClaimPath::parse(QStringView text, QString *error)
{
    QString rfcError;
    QString deprecatedError;
    std::optional<QList<Step>> steps;
    if (text.startsWith(u'$')) {
        steps = parseRfc9535(text, &rfcError);
    } else {
        steps = parseDeprecated(text, &deprecatedError);
    }
    if (!steps) {
        if (error) {
            *error = QStringLiteral("jwt-role-claim-key \"%1\" is not a JSONPath (%2)")
                         .arg(text, rfcError.isEmpty() ? deprecatedError : rfcError);
        }
        return std::nullopt;
    }
    ClaimPath path;
    path.m_text = text.toString();
    path.m_steps = std::move(*steps);
    return path;
}

std::optional<QList<ClaimPath::Step>> ClaimPath::parseRfc9535(QStringView text, QString *error)
{
    Cursor c{text};
    c.eat(u'$');
    QList<Step> steps;
    while (true) {
        c.skipBlanks();
        if (c.atEnd())
            return steps;
        if (c.eat(QLatin1StringView(".."))) {
            c.fail(error, QStringLiteral("a single dot (descendant segments select many values)"));
            return std::nullopt;
        }
        if (c.eat(u'.')) {
            if (!isNameFirst(c.peek())) {
                c.fail(error, c.peek() == u'*' ? describeUnsupported(c.peek())
                                                : QStringLiteral("a member name after the dot"));
                return std::nullopt;
            }
            const qsizetype start = c.pos;
            while (!c.atEnd() && isNameChar(c.peek()))
                ++c.pos;
            steps.append(Step{Step::Kind::Key, text.sliced(start, c.pos - start).toString()});
            continue;
        }
        if (!c.eat(u'[')) {
            c.fail(error, QStringLiteral("\".\" or \"[\""));
            return std::nullopt;
        }
        c.skipBlanks();
        Step step;
        if (c.peek() == u'\'' || c.peek() == u'"') {
            step.kind = Step::Kind::Key;
            if (!parseQuotedName(c, &step.key, error))
                return std::nullopt;
        } else if (c.peek() == u'-' || (c.peek().unicode() >= '0' && c.peek().unicode() <= '9')) {
            step.kind = Step::Kind::Index;
            if (!parseIndex(c, true, &step.index, error))
                return std::nullopt;
        } else {
            c.fail(error, describeUnsupported(c.peek()));
            return std::nullopt;
        }
        c.skipBlanks();
        if (!c.eat(u']')) {
            c.fail(error, c.peek() == u',' ? QStringLiteral("\"]\" (a list of selectors selects many values)")
                                           : c.peek() == u':' ? describeUnsupported(c.peek())
                                                              : QStringLiteral("\"]\""));
            return std::nullopt;
        }
        steps.append(step);
    }
}

std::optional<QList<ClaimPath::Step>> ClaimPath::parseDeprecated(QStringView text, QString *error)
{
    Cursor c{text};
    QList<Step> steps;
    while (!c.atEnd()) {
        if (c.eat(u'.')) {
            Step step;
            if (c.peek() == u'"') {
                const std::optional<QString> key = c.legacyQuoted(error);
                if (!key)
                    return std::nullopt;
                step.key = *key;
            } else {
                const qsizetype start = c.pos;
                while (!c.atEnd() && (c.peek().isLetterOrNumber() || c.peek() == u'_' || c.peek() == u'$'
                                      || c.peek() == u'@'))
                    ++c.pos;
                if (c.pos == start) {
                    c.fail(error, QStringLiteral("a key (letters, digits, _ $ @) or a \"quoted key\""));
                    return std::nullopt;
                }
                step.key = text.sliced(start, c.pos - start).toString();
            }
            steps.append(step);
        } else if (c.eat(QLatin1StringView("[?("))) {
            Step step;
            step.kind = Step::Kind::Filter;
            if (!c.eat(u'@')) {
                c.fail(error, QStringLiteral("@"));
                return std::nullopt;
            }
            c.skipBlanks();
            if (c.eat(QLatin1StringView("==^")))
                step.filter = Filter::EndsWith;
            else if (c.eat(QLatin1StringView("==")))
                step.filter = Filter::Equals;
            else if (c.eat(QLatin1StringView("!=")))
                step.filter = Filter::NotEquals;
            else if (c.eat(QLatin1StringView("^==")))
                step.filter = Filter::StartsWith;
            else if (c.eat(QLatin1StringView("*==")))
                step.filter = Filter::Contains;
            else {
                c.fail(error, QStringLiteral("one of == != ^== ==^ *=="));
                return std::nullopt;
            }
            c.skipBlanks();
            if (c.peek() != u'"') {
                c.fail(error, QStringLiteral("a \"quoted\" text"));
                return std::nullopt;
            }
            const std::optional<QString> value = c.legacyQuoted(error);
            if (!value)
                return std::nullopt;
            step.key = *value;
            if (!c.eat(QLatin1StringView(")]"))) {
                c.fail(error, QStringLiteral(")]"));
                return std::nullopt;
            }
            if (!c.atEnd()) {
                c.fail(error, QStringLiteral("the end (a filter must come last)"));
                return std::nullopt;
            }
            steps.append(step);
        } else if (c.eat(u'[')) {
            Step step;
            step.kind = Step::Kind::Index;
            if (!parseIndex(c, false, &step.index, error))
                return std::nullopt;
            if (!c.eat(u']')) {
                c.fail(error, QStringLiteral("]"));
                return std::nullopt;
            }
            steps.append(step);
        } else {
            c.fail(error, QStringLiteral("\".key\", \"[index]\" or \"[?(@ == \\\"text\\\")]\" (or a path starting with $)"));
            return std::nullopt;
        }
    }
    if (steps.isEmpty()) {
        c.fail(error, QStringLiteral("a path such as .role"));
        return std::nullopt;
    }
    return steps;
}

std::optional<QJsonValue> ClaimPath::evaluate(const QJsonObject &claims) const
{
    QJsonValue current(claims);
    for (const Step &step : m_steps) {
        switch (step.kind) {
        case Step::Kind::Key: {
            if (!current.isObject())
                return std::nullopt;
            const QJsonObject object = current.toObject();
            const auto it = object.constFind(step.key);
            if (it == object.constEnd())
                return std::nullopt;
            current = it.value();
            break;
        }
        case Step::Kind::Index: {
            if (!current.isArray())
                return std::nullopt;
            const QJsonArray array = current.toArray();
            const qint64 i = step.index < 0 ? array.size() + step.index : step.index;
            if (i < 0 || i >= array.size())
                return std::nullopt;
            current = array.at(qsizetype(i));
            break;
        }
        case Step::Kind::Filter: {
            if (!current.isArray())
                return std::nullopt;
            const QJsonArray array = current.toArray();
            for (const QJsonValue &v : array) {
                if (!v.isString())
                    continue;
                const QString s = v.toString();
                bool match = false;
                switch (step.filter) {
                case Filter::Equals: match = s == step.key; break;
                case Filter::NotEquals: match = s != step.key; break;
                case Filter::StartsWith: match = s.startsWith(step.key); break;
                case Filter::EndsWith: match = s.endsWith(step.key); break;
                case Filter::Contains: match = s.contains(step.key); break;
                }
                if (match)
                    return v;
            }
            return std::nullopt;
        }
        }
    }
    return current;
}

QString ClaimPath::roleText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    // QJsonDocument writes only arrays and objects: write [value], take the
    // brackets off.
    const QByteArray json = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(json.sliced(1, json.size() - 2));
}

} // namespace Aiodata::Server
