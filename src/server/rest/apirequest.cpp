#include "rest/apirequest.h"

#include <QUrl>

#include <algorithm>
#include <limits>
#include <utility>

namespace Aiodata::Server {

static bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Where the first '%' not followed by two hex digits is, or -1.
static qsizetype malformedEscape(const QByteArray &text)
{
    for (qsizetype i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
        if (i + 2 >= text.size() || !isHexDigit(text.at(i + 1)) || !isHexDigit(text.at(i + 2)))
            return i;
    }
    return -1;
}

static QString decodeComponent(QByteArray part)
{
    // Query strings from browsers and postgrest-js encode spaces as '+'.
    part.replace('+', ' ');
    return QUrl::fromPercentEncoding(part);
}

// `(a,b,"c,d")` -> a | b | c,d
static std::optional<QStringList> parseList(const QString &text)
{
    if (!text.startsWith(QLatin1Char('(')) || !text.endsWith(QLatin1Char(')')))
        return std::nullopt;
    const QString inner = text.mid(1, text.size() - 2);
    QStringList out;
    if (inner.isEmpty())
        return out;
    QString current;
    bool quoted = false;
    bool wasQuoted = false;
    for (qsizetype i = 0; i < inner.size(); ++i) {
        const QChar c = inner.at(i);
        if (quoted) {
            if (c == QLatin1Char('\\') && i + 1 < inner.size())
                current += inner.at(++i);
            else if (c == QLatin1Char('"'))
                quoted = false;
            else
                current += c;
        } else if (c == QLatin1Char('"')) {
            quoted = wasQuoted = true;
        } else if (c == QLatin1Char(',')) {
            out.append(wasQuoted ? current : current.trimmed());
            current.clear();
            wasQuoted = false;
        } else {
            current += c;
        }
    }
    if (quoted)
        return std::nullopt;
    out.append(wasQuoted ? current : current.trimmed());
    return out;
}

static const QStringList &filterOperators()
{
    static const QStringList ops = {
        QStringLiteral("eq"),    QStringLiteral("neq"),   QStringLiteral("gt"),         QStringLiteral("gte"),
        QStringLiteral("lt"),    QStringLiteral("lte"),   QStringLiteral("like"),       QStringLiteral("ilike"),
        QStringLiteral("match"), QStringLiteral("imatch"), QStringLiteral("is"),        QStringLiteral("isdistinct"),
        QStringLiteral("in"),    QStringLiteral("cs"),    QStringLiteral("cd"),         QStringLiteral("ov"),
        QStringLiteral("sl"),    QStringLiteral("sr"),    QStringLiteral("nxr"),        QStringLiteral("nxl"),
        QStringLiteral("adj"),   QStringLiteral("fts"),   QStringLiteral("plfts"),      QStringLiteral("phfts"),
        QStringLiteral("wfts"),
    };
    return ops;
}

// Operators that take (any) or (all), as PostgREST's quantifiers.
static bool takesQuantifier(const QString &op)
{
    static const QStringList ops = {
        QStringLiteral("eq"), QStringLiteral("gt"),   QStringLiteral("gte"),   QStringLiteral("lt"),    QStringLiteral("lte"),
        QStringLiteral("like"), QStringLiteral("ilike"), QStringLiteral("match"), QStringLiteral("imatch"),
    };
    return ops.contains(op);
}

static bool isTextSearch(const QString &op)
{
    return op.endsWith(QLatin1String("fts"));
}

static std::optional<Filter> parseFilter(const QString &column, const QString &expression, ApiError *error)
{
    Filter f;
    f.column = column;
    QString rest = expression;
    if (rest.startsWith(QLatin1String("not."))) {
        f.negate = true;
        rest = rest.mid(4);
    }
    const qsizetype dot = rest.indexOf(QLatin1Char('.'));
    f.op = dot < 0 ? rest : rest.left(dot);
    const QString value = dot < 0 ? QString() : rest.mid(dot + 1);
    const auto fail = [&](const QString &details) {
        *error = ApiError::unparsable(QStringLiteral("filter"), expression, details);
        return std::nullopt;
    };
    // op(argument): eq(any), like(all), fts(english).
    if (const qsizetype open = f.op.indexOf(QLatin1Char('(')); open > 0 && f.op.endsWith(QLatin1Char(')'))) {
        const QString argument = f.op.mid(open + 1, f.op.size() - open - 2);
        f.op.truncate(open);
        if (isTextSearch(f.op) && !argument.isEmpty())
            f.language = argument;
        else if (takesQuantifier(f.op) && (argument == QLatin1String("any") || argument == QLatin1String("all")))
            f.quantifier = argument == QLatin1String("any") ? Filter::Quantifier::Any : Filter::Quantifier::All;
        else
            return fail(QStringLiteral("(any) and (all) go with eq, gt, gte, lt, lte, like, ilike, match and imatch; "
                                       "a text search configuration with fts, plfts, phfts and wfts"));
    }
    if (dot < 0 || !filterOperators().contains(f.op)) {
        return fail(QStringLiteral("unknown or missing operator; supported: %1")
                        .arg(filterOperators().join(QLatin1String(", "))));
    }
    if (f.op == QLatin1String("in")) {
        const auto list = parseList(value);
        if (!list)
            return fail(QStringLiteral("in. takes a list in parentheses: in.(a,b)"));
        f.values = *list;
    } else if (f.op == QLatin1String("is")) {
        static const QStringList allowed = {QStringLiteral("null"), QStringLiteral("not_null"),
                                            QStringLiteral("true"), QStringLiteral("false"),
                                            QStringLiteral("unknown")};
        if (!allowed.contains(value.toLower()))
            return fail(QStringLiteral("is. takes null, not_null, true, false or unknown"));
        f.value = value.toLower();
    } else {
        f.value = value;
    }
    return f;
}

// `"a,b"` -> a,b; inside quotes a backslash escapes the next character.
static QString unquoted(const QString &value)
{
    if (value.size() < 2 || !value.startsWith(QLatin1Char('"')) || !value.endsWith(QLatin1Char('"')))
        return value;
    QString out;
    for (qsizetype i = 1; i < value.size() - 1; ++i) {
        if (value.at(i) == QLatin1Char('\\') && i + 1 < value.size() - 1)
            ++i;
        out += value.at(i);
    }
    return out;
}

// The top-level, comma-separated items of a logic tree's body: commas inside
// parentheses, braces or double quotes do not split. Empty when quotes or
// parentheses do not balance.
static std::optional<QStringList> logicItems(QStringView body)
{
    QStringList items;
    qsizetype start = 0;
    int depth = 0;
    bool quoted = false;
    for (qsizetype i = 0; i < body.size(); ++i) {
        const QChar c = body.at(i);
        if (quoted) {
            if (c == QLatin1Char('\\'))
                ++i;
            else if (c == QLatin1Char('"'))
                quoted = false;
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char('(') || c == QLatin1Char('{')) { // {}: array values, cs.{a,b}
            ++depth;
        } else if (c == QLatin1Char(')') || c == QLatin1Char('}')) {
            if (--depth < 0)
                return std::nullopt;
        } else if (c == QLatin1Char(',') && depth == 0) {
            items.append(body.mid(start, i - start).toString());
            start = i + 1;
        }
    }
    if (quoted || depth != 0)
        return std::nullopt;
    items.append(body.mid(start).toString());
    return items;
}

// One logic tree: `kind` and `negate` from the query key (or the nested
// item's prefix), `body` the text in its parentheses.
static std::optional<FilterTree> parseLogic(FilterTree::Kind kind, bool negate, QStringView body, int depth,
                                            const QString &whole, ApiError *error)
{
    const auto fail = [&](const QString &details) {
        *error = ApiError::unparsable(QStringLiteral("logic tree"), whole, details);
        return std::nullopt;
    };
    if (depth > FilterTree::MaxDepth)
        return fail(QStringLiteral("logic trees nest at most %1 deep").arg(FilterTree::MaxDepth));
    const auto items = logicItems(body);
    if (!items)
        return fail(QStringLiteral("unbalanced parentheses or quotes"));
    FilterTree tree;
    tree.kind = kind;
    tree.negate = negate;
    for (const QString &item : *items) {
        QStringView rest(item);
        bool notItem = false;
        if (rest.startsWith(QLatin1String("not."))) {
            notItem = true;
            rest = rest.mid(4);
        }
        const bool isOr = rest.startsWith(QLatin1String("or("));
        if ((isOr || rest.startsWith(QLatin1String("and("))) && rest.endsWith(QLatin1Char(')'))) {
            const qsizetype open = rest.indexOf(QLatin1Char('('));
            const auto child = parseLogic(isOr ? FilterTree::Kind::Or : FilterTree::Kind::And, notItem,
                                          rest.mid(open + 1, rest.size() - open - 2), depth + 1, whole, error);
            if (!child)
                return std::nullopt;
            tree.children.append(*child);
            continue;
        }
        // column.[not.]op.value; a column with a '.' in it is double-quoted.
        QStringView source(item);
        qsizetype dot = -1;
        if (source.startsWith(QLatin1Char('"'))) {
            const qsizetype close = source.indexOf(QLatin1Char('"'), 1);
            dot = close < 0 ? -1 : close + 1;
            if (dot >= 0 && (dot >= source.size() || source.at(dot) != QLatin1Char('.')))
                dot = -1;
        } else {
            dot = source.indexOf(QLatin1Char('.'));
        }
        if (dot <= 0)
            return fail(QStringLiteral("expected column.operator.value, or(...) or and(...), found \"%1\"").arg(item));
        const auto filter = parseFilter(unquoted(source.left(dot).toString()), source.mid(dot + 1).toString(), error);
        if (!filter)
            return std::nullopt;
        FilterTree leaf;
        leaf.filter = *filter;
        if (leaf.filter.op != QLatin1String("in") && leaf.filter.op != QLatin1String("is"))
            leaf.filter.value = unquoted(leaf.filter.value); // values with , . : ( ) come quoted
        tree.children.append(leaf);
    }
    return tree;
}

// Whether a query key (or an embed key's last part) names a logic tree:
// or, and, not.or, not.and.
static bool isLogicKey(const QString &name)
{
    const QStringView bare = QStringView(name).mid(name.startsWith(QLatin1String("not.")) ? 4 : 0);
    return bare == QLatin1String("or") || bare == QLatin1String("and");
}

// The tree of a logic key's value, `(condition,...)`; key is the whole
// query key, for the message.
static std::optional<FilterTree> parseLogicValue(const QString &name, const QString &key, const QString &value,
                                                 ApiError *error)
{
    if (!value.startsWith(QLatin1Char('(')) || !value.endsWith(QLatin1Char(')')) || value.size() < 3) {
        *error = ApiError::unparsable(QStringLiteral("logic tree"), value,
                                      QStringLiteral("expected %1=(condition,...)").arg(key));
        return std::nullopt;
    }
    const auto kind = name.endsWith(QLatin1String("or")) ? FilterTree::Kind::Or : FilterTree::Kind::And;
    return parseLogic(kind, name.startsWith(QLatin1String("not.")), QStringView(value).mid(1, value.size() - 2), 1,
                      value, error);
}

static std::optional<QList<OrderTerm>> parseOrder(const QString &text, ApiError *error)
{
    QList<OrderTerm> terms;
    for (const QString &part : text.split(QLatin1Char(','))) {
        const QStringList bits = part.split(QLatin1Char('.'));
        OrderTerm term;
        term.column = bits.value(0);
        // relation(column): PostgREST's related order, on a to-one embed.
        if (const qsizetype open = term.column.indexOf(QLatin1Char('('));
            open > 0 && term.column.endsWith(QLatin1Char(')'))) {
            term.relation = term.column.left(open);
            term.column = term.column.mid(open + 1, term.column.size() - open - 2);
        }
        bool ok = !term.column.isEmpty() && bits.size() <= 3;
        for (qsizetype i = 1; ok && i < bits.size(); ++i) {
            const QString &b = bits.at(i);
            if (b == QLatin1String("asc"))
                term.descending = false;
            else if (b == QLatin1String("desc"))
                term.descending = true;
            else if (b == QLatin1String("nullsfirst"))
                term.nulls = OrderTerm::NullsFirst;
            else if (b == QLatin1String("nullslast"))
                term.nulls = OrderTerm::NullsLast;
            else
                ok = false;
        }
        if (!ok) {
            *error = ApiError::unparsable(QStringLiteral("order"), text,
                                          QStringLiteral("expected column[.asc|.desc][.nullsfirst|.nullslast], comma separated"));
            return std::nullopt;
        }
        terms.append(term);
    }
    return terms;
}

// The top-level, comma-separated items of a select list: commas inside
// parentheses do not split. Empty when the parentheses do not balance.
static std::optional<QStringList> selectItemTexts(QStringView text)
{
    QStringList items;
    qsizetype start = 0;
    int depth = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('(')) {
            ++depth;
        } else if (c == QLatin1Char(')')) {
            if (--depth < 0)
                return std::nullopt;
        } else if (c == QLatin1Char(',') && depth == 0) {
            items.append(text.mid(start, i - start).trimmed().toString());
            start = i + 1;
        }
    }
    if (depth != 0)
        return std::nullopt;
    items.append(text.mid(start).trimmed().toString());
    return items;
}

// PostgREST's select grammar: `*`, `alias:column`, and embedded resources
// `alias:relation!hint!inner(items)` and `...relation!hint(items)`.
static std::optional<QList<SelectItem>> parseSelectItems(QStringView text, int depth, const QString &whole, ApiError *error)
{
    const auto fail = [&](const QString &details) {
        *error = ApiError::unparsable(QStringLiteral("select parameter"), whole, details);
        return std::nullopt;
    };
    if (depth > SelectItem::MaxDepth)
        return fail(QStringLiteral("embedded resources nest at most %1 deep").arg(SelectItem::MaxDepth));
    const auto texts = selectItemTexts(text);
    if (!texts)
        return fail(QStringLiteral("unbalanced parentheses"));
    QList<SelectItem> items;
    if (texts->size() == 1 && texts->first().isEmpty() && depth > 0)
        return items; // an empty embed: owners()
    for (const QString &itemText : *texts) {
        SelectItem item;
        const qsizetype open = itemText.indexOf(QLatin1Char('('));
        if (open < 0 && itemText.contains(QLatin1Char(')')))
            return fail(QStringLiteral("unexpected \")\" in \"%1\"").arg(itemText));
        if (open < 0) {
            if (itemText == QLatin1String("*")) {
                item.kind = SelectItem::Kind::Star;
            } else {
                // alias:column renames, as in PostgREST.
                const qsizetype colon = itemText.indexOf(QLatin1Char(':'));
                item.alias = colon < 0 ? QString() : itemText.left(colon);
                item.name = colon < 0 ? itemText : itemText.mid(colon + 1);
            }
            items.append(item);
            continue;
        }
        if (!itemText.endsWith(QLatin1Char(')')))
            return fail(QStringLiteral("expected \")\" at the end of \"%1\"").arg(itemText));
        item.kind = SelectItem::Kind::Embed;
        QString head = itemText.left(open).trimmed();
        if (head.startsWith(QLatin1String("..."))) {
            item.spread = true;
            head = head.mid(3);
        }
        const qsizetype colon = head.indexOf(QLatin1Char(':'));
        if (colon >= 0) {
            if (item.spread)
                return fail(QStringLiteral("a spread (...) takes no alias: \"%1\"").arg(itemText));
            item.alias = head.left(colon);
            head = head.mid(colon + 1);
        }
        const QStringList parts = head.split(QLatin1Char('!'));
        item.name = parts.first();
        bool joinGiven = false;
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QString &p = parts.at(i);
            if ((p == QLatin1String("inner") || p == QLatin1String("left")) && !joinGiven) {
                item.inner = p == QLatin1String("inner");
                joinGiven = true;
            } else if (!p.isEmpty() && item.hint.isEmpty() && p != QLatin1String("inner") && p != QLatin1String("left")) {
                item.hint = p;
            } else {
                return fail(QStringLiteral("expected relation[!hint][!inner|!left](...), found \"%1\"").arg(head));
            }
        }
        if (item.name.isEmpty() || (colon >= 0 && item.alias.isEmpty()))
            return fail(QStringLiteral("expected relation[!hint][!inner|!left](...), found \"%1\"").arg(head));
        const auto children = parseSelectItems(QStringView(itemText).mid(open + 1, itemText.size() - open - 2), depth + 1,
                                               whole, error);
        if (!children)
            return std::nullopt;
        item.children = *children;
        items.append(item);
    }
    return items;
}

// On /rpc, `a.b=1` may be an argument: a key with a path is an embed's
// only with an operator or as order/limit/offset/or/and.
static bool embedKeyOfCall(const QString &last, const QString &value)
{
    static const QStringList shaping = {QStringLiteral("order"), QStringLiteral("limit"), QStringLiteral("offset"),
                                        QStringLiteral("or"), QStringLiteral("and"), QStringLiteral("not.or"),
                                        QStringLiteral("not.and")};
    ApiError ignored;
    return shaping.contains(last) || parseFilter(last, value, &ignored).has_value();
}

// `owners.name`, `roles.actors.order`, `films.not.or`: the embed path and
// the last part; false for a key without a path.
static bool splitEmbedKey(const QString &key, QStringList *path, QString *last)
{
    QStringList parts = key.split(QLatin1Char('.'));
    if (parts.size() < 2 || parts.contains(QString()))
        return false;
    // PostgREST's field names (pIdentifier): letters, digits, '_', '$', '-'
    // and spaces; other keys stay column filters (42703 for an unknown one).
    for (const QString &part : std::as_const(parts)) {
        const bool plain = std::all_of(part.cbegin(), part.cend(), [](QChar c) {
            return c.isLetterOrNumber() || c == QLatin1Char('_') || c == QLatin1Char('$') || c == QLatin1Char('-')
                || c == QLatin1Char(' ');
        });
        if (!plain)
            return false;
    }
    *last = parts.takeLast();
    if (parts.size() >= 2 && parts.last() == QLatin1String("not")
        && (*last == QLatin1String("or") || *last == QLatin1String("and"))) {
        parts.removeLast();
        *last = QLatin1String("not.") + *last;
    }
    *path = parts;
    return true;
}

static std::optional<qint64> parseCount(const QString &text)
{
    bool ok = false;
    const qint64 n = text.toLongLong(&ok);
    if (!ok || n < 0)
        return std::nullopt;
    return n;
}

bool ApiRequest::hasEmbeds() const
{
    return std::any_of(selectItems.cbegin(), selectItems.cend(),
                       [](const SelectItem &i) { return i.kind == SelectItem::Kind::Embed; });
}

EmbedQuery &ApiRequest::embedQuery(const QStringList &path)
{
    for (EmbedQuery &q : embedQueries) {
        if (q.path == path)
            return q;
    }
    embedQueries.append(EmbedQuery{path, {}, {}, {}, -1, 0});
    return embedQueries.last();
}

bool ApiRequest::maxAffectedApplies() const
{
    return maxAffected >= 0 && handling == Handling::Strict
        && (operation == Operation::Update || operation == Operation::Delete);
}

// The Prefer fields, as PostgREST's Preferences.fromHeaders reads them:
// several fields are one comma-separated list (RFC 9110 5.3), the first
// value of each kind wins, and with handling=strict anything else is
// refused (PGRST122), wherever in the list handling= stands.
static bool parsePreferences(const HttpRequest &http, bool allowTxOverride, ApiRequest *r, ApiError *error)
{
    QByteArrayList preferences;
    for (const auto &h : http.headers) {
        if (h.first.compare("Prefer", Qt::CaseInsensitive) == 0)
            preferences += h.second.split(',');
    }
    bool returnSeen = false, countSeen = false, resolutionSeen = false, missingSeen = false, txSeen = false;
    QByteArrayList invalid;
    for (const QByteArray &prefer : std::as_const(preferences)) {
        const QByteArray p = prefer.trimmed();
        if (p.isEmpty())
            continue; // "a, , b": RFC 9110 lets list elements be empty
        if (p == "return=minimal" || p == "return=headers-only" || p == "return=representation") {
            if (!std::exchange(returnSeen, true))
                r->returnRepresentation = p == "return=representation";
        } else if (p == "count=exact" || p == "count=planned" || p == "count=estimated") {
            if (!std::exchange(countSeen, true))
                r->count = p == "count=exact" ? ApiRequest::Count::Exact
                    : p == "count=planned"    ? ApiRequest::Count::Planned
                                              : ApiRequest::Count::Estimated;
        } else if (p == "resolution=merge-duplicates" || p == "resolution=ignore-duplicates") {
            if (!std::exchange(resolutionSeen, true))
                (p == "resolution=merge-duplicates" ? r->mergeDuplicates : r->ignoreDuplicates) = true;
        } else if (p == "missing=default" || p == "missing=null") {
            if (!std::exchange(missingSeen, true))
                r->missingDefault = p == "missing=default"; // null: what an insert does anyway
        } else if (p == "params=single-object") {
            r->paramsSingleObject = true;
        } else if (p == "handling=strict" || p == "handling=lenient") {
            if (r->handling == ApiRequest::Handling::NotGiven)
                r->handling = p == "handling=strict" ? ApiRequest::Handling::Strict : ApiRequest::Handling::Lenient;
        } else if (p == "tx=commit" || p == "tx=rollback") {
            // Valid even when the configuration does not let it apply, as in PostgREST.
            if (!std::exchange(txSeen, true) && allowTxOverride)
                r->tx = p == "tx=commit" ? ApiRequest::Tx::Commit : ApiRequest::Tx::Rollback;
        } else if (p.startsWith("max-affected=")) {
            // Digits only: no sign, no space, nothing toLongLong would also take.
            const QByteArray digits = p.mid(13);
            bool ok = !digits.isEmpty() && std::all_of(digits.cbegin(), digits.cend(), [](char c) { return c >= '0' && c <= '9'; });
            const qint64 n = ok ? digits.toLongLong(&ok) : -1;
            if (!ok)
                invalid.append(p);
            else if (r->maxAffected < 0)
                r->maxAffected = n;
        } else {
            // Unknown, or a value we cannot fulfil (timezone=: not supported).
            invalid.append(p);
        }
    }
    if (r->handling == ApiRequest::Handling::Strict && !invalid.isEmpty()) {
        *error = ApiError::invalidPreferences(invalid);
        return false;
    }
    return true;
}

// The q-value as wai's readQ reads it: a leading number, else 1.
static double acceptQuality(const QByteArray &text)
{
    qsizetype end = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9')
        ++end;
    if (end == 0)
        return 1.0;
    if (end + 1 < text.size() && text[end] == '.' && text[end + 1] >= '0' && text[end + 1] <= '9') {
        end += 2;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9')
            ++end;
    }
    return text.left(end).toDouble();
}

std::optional<ApiRequest::Media> ApiRequest::negotiate(const QByteArray &accept, bool rows, QByteArray *asked,
                                                      bool *stripNulls)
{
    if (stripNulls)
        *stripNulls = false;
    if (accept.trimmed().isEmpty())
        return Media::Json; // no preference: PostgREST's */*
    struct Range
    {
        QByteArray type; // without spaces and without ;q= (and what follows it)
        double q;
        int specificity;
    };
    QList<Range> ranges;
    for (const QByteArray &item : accept.split(',')) {
        QByteArray text = item;
        text.removeIf([](char c) { return c == ' ' || c == '\t'; });
        double q = 1.0;
        if (const qsizetype at = text.indexOf(";q="); at >= 0) {
            q = acceptQuality(text.mid(at + 3));
            text.truncate(at);
        }
        ranges.append({text, q, int(text.count(';')) - int(text.count('*'))});
    }
    // Higher q first, then the more specific; a stable sort keeps the
    // client's order otherwise ("text/csv, application/json" is CSV).
    std::stable_sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
        return a.q != b.q ? a.q > b.q : a.specificity > b.specificity;
    });
    QByteArrayList names;
    for (const Range &range : ranges) {
        const qsizetype semicolon = range.type.indexOf(';');
        const QByteArray essence = (semicolon < 0 ? range.type : range.type.left(semicolon)).toLower();
        std::optional<Media> media;
        QByteArray name = essence;
        if (essence == "application/json" || essence == "*/*" || essence == "application/*") {
            media = Media::Json;
        } else if (essence == "text/csv") {
            if (rows)
                media = Media::Csv;
        } else if (essence == "application/vnd.pgrst.object+json" || essence == "application/vnd.pgrst.object"
                   || essence == "application/vnd.pgrst.array+json" || essence == "application/vnd.pgrst.array") {
            const bool object = essence.contains("object");
            name = object ? "application/vnd.pgrst.object+json" : "application/vnd.pgrst.array+json";
            const bool strip = range.type.toLower().contains(";nulls=stripped");
            if (strip)
                name += ";nulls=stripped";
            if (!strip || rows) {
                media = object ? Media::Object : Media::Json;
                if (stripNulls)
                    *stripNulls = strip;
            }
        } else {
            name = range.type; // as sent, as PostgREST's MTOther
        }
        if (media)
            return media;
        names.append(name);
    }
    if (asked)
        *asked = names.join(", ");
    return std::nullopt;
}

std::optional<ApiRequest> ApiRequest::parse(const HttpRequest &http, QByteArrayView pathTail,
                                            const QStringList &schemas, ApiError *error, bool allowTxOverride)
{
    ApiRequest r;
    // NUL cannot be stored in PostgreSQL text and would cut C strings short.
    // Raw, or as "%00": the only escape that decodes to it. (The HTTP layer
    // refuses a raw one too; this does not count on it.)
    if (http.target.contains('\0') || http.target.contains("%00")) {
        *error = ApiError::urlHasNul();
        return std::nullopt;
    }
    // QUrl::fromPercentEncoding() turns a '%' without two hex digits after
    // it into an arbitrary byte (NUL among them), so such URLs go no further.
    if (const qsizetype bad = malformedEscape(http.target); bad >= 0) {
        *error = ApiError::urlMalformedEscape(QString::fromUtf8(http.target.mid(bad, 3)));
        return std::nullopt;
    }
    const QByteArray method = http.method;
    if (method == "GET" || method == "HEAD") {
        r.operation = Operation::Read;
        r.headOnly = method == "HEAD";
    } else if (method == "POST") {
        r.operation = Operation::Create;
    } else if (method == "PATCH") {
        r.operation = Operation::Update;
    } else if (method == "DELETE") {
        r.operation = Operation::Delete;
    } else {
        *error = ApiError::unsupportedMethod(method);
        return std::nullopt;
    }

    // Path: <table>[/<key>...]; every segment percent-decoded on its own so a
    // key may contain an encoded '/'.
    const QList<QByteArray> segments = QByteArray(pathTail.data(), pathTail.size()).split('/');
    r.table = QUrl::fromPercentEncoding(segments.value(0));
    if (segments.value(0) == "rpc" && segments.size() > 1) {
        // /query/rpc/<function>, as PostgREST's /rpc/<function>.
        r.rpc = true;
        r.function = QUrl::fromPercentEncoding(segments.at(1));
        const bool trailingSlash = segments.size() == 3 && segments.at(2).isEmpty();
        if (r.function.isEmpty() || (segments.size() > 2 && !trailingSlash)) {
            *error = ApiError::invalidPath(QStringLiteral("expected /query/rpc/<function>"));
            return std::nullopt;
        }
        if (r.operation == Operation::Update || r.operation == Operation::Delete) {
            *error = ApiError::rpcUnsupportedMethod(method);
            return std::nullopt;
        }
    } else if (r.table.isEmpty()) {
        *error = ApiError::invalidPath(QStringLiteral("expected /query/<table>[/<key>...]"));
        return std::nullopt;
    }
    for (qsizetype i = 1; !r.rpc && i < segments.size(); ++i) {
        if (i == segments.size() - 1 && segments.at(i).isEmpty())
            break; // tolerate one trailing slash
        r.keyPath.append(QUrl::fromPercentEncoding(segments.at(i)));
    }

    // Schema selection, as PostgREST: Accept-Profile for reads, Content-Profile for writes.
    const QByteArray profile = http.header(r.operation == Operation::Read ? "Accept-Profile" : "Content-Profile");
    r.schema = profile.isEmpty() ? schemas.value(0) : QString::fromUtf8(profile);
    if (!schemas.contains(r.schema)) {
        *error = ApiError::unacceptableSchema(schemas);
        return std::nullopt;
    }

    for (const QByteArray &pair : http.query.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        const QString key = decodeComponent(eq < 0 ? pair : pair.left(eq));
        const QString value = eq < 0 ? QString() : decodeComponent(pair.mid(eq + 1));
        QStringList path; // of an embedded resource's key
        QString last;
        if (key == QLatin1String("select")) {
            if (value != QLatin1String("*") && !value.isEmpty()) {
                const auto items = parseSelectItems(value, 0, value, error);
                if (!items)
                    return std::nullopt;
                r.selectItems = *items;
                r.select = *selectItemTexts(value);
            }
        } else if (key == QLatin1String("order")) {
            const auto order = parseOrder(value, error);
            if (!order)
                return std::nullopt;
            r.order = *order;
        } else if (key == QLatin1String("limit") || key == QLatin1String("offset")) {
            const auto n = parseCount(value);
            if (!n) {
                *error = ApiError::unparsable(key, value,
                                              QStringLiteral("expected a non-negative integer"));
                return std::nullopt;
            }
            (key == QLatin1String("limit") ? r.limit : r.offset) = *n;
        } else if (key == QLatin1String("columns")) {
            // postgrest-js sends columns="a","b": names may be double-quoted.
            const auto names = parseList(QLatin1Char('(') + value + QLatin1Char(')'));
            if (!names) {
                *error = ApiError::unparsable(QStringLiteral("columns parameter"), value);
                return std::nullopt;
            }
            for (const QString &c : *names) {
                if (!c.isEmpty())
                    r.columns.append(c);
            }
        } else if (key == QLatin1String("on_conflict")) {
            // Upserts resolve on the primary key; accepted for client compatibility.
        } else if (isLogicKey(key)) {
            const auto tree = parseLogicValue(key, key, value, error);
            if (!tree)
                return std::nullopt;
            r.logic.append(*tree);
        } else if (splitEmbedKey(key, &path, &last) && (!r.rpc || embedKeyOfCall(last, value))) {
            // An embedded resource's filter, order, limit or offset.
            EmbedQuery &q = r.embedQuery(path);
            if (last == QLatin1String("order")) {
                const auto order = parseOrder(value, error);
                if (!order)
                    return std::nullopt;
                q.order = *order;
            } else if (last == QLatin1String("limit") || last == QLatin1String("offset")) {
                const auto n = parseCount(value);
                if (!n) {
                    *error = ApiError::unparsable(key, value, QStringLiteral("expected a non-negative integer"));
                    return std::nullopt;
                }
                (last == QLatin1String("limit") ? q.limit : q.offset) = *n;
            } else if (isLogicKey(last)) {
                const auto tree = parseLogicValue(last, key, value, error);
                if (!tree)
                    return std::nullopt;
                q.logic.append(*tree);
            } else {
                const auto filter = parseFilter(last, value, error);
                if (!filter)
                    return std::nullopt;
                q.filters.append(*filter);
            }
        } else {
            ApiError filterError;
            const auto filter = parseFilter(key, value, &filterError);
            if (!filter && r.rpc && r.operation == Operation::Read) {
                // No operator: an argument of the call (PostgREST's NoOpExpr).
                r.rpcArguments.append({key, value});
                continue;
            }
            if (!filter) {
                *error = filterError;
                return std::nullopt;
            }
            r.filters.append(*filter);
        }
    }

    // An embed's filter, order or range needs the embed in select= (deeper
    // steps of its path are EmbedPlan's to check): PostgREST's PGRST108,
    // here so that no reader of the request (live subsets) drops it unseen.
    for (const EmbedQuery &q : std::as_const(r.embedQueries)) {
        const QString &first = q.path.first();
        const bool embedded = std::any_of(r.selectItems.cbegin(), r.selectItems.cend(), [&](const SelectItem &i) {
            return i.kind == SelectItem::Kind::Embed && (i.name == first || i.alias == first);
        });
        if (!embedded) {
            *error = ApiError::notEmbedded(first);
            return std::nullopt;
        }
    }

    // Range: 0-9 (items), as postgrest-js and PostgREST use it.
    const QByteArray range = http.header("Range");
    if (!range.isEmpty() && r.operation == Operation::Read) {
        const QByteArray spec = range.startsWith("items=") ? range.mid(6) : range;
        const qsizetype dash = spec.indexOf('-');
        bool okFrom = false, okTo = true;
        const qint64 from = spec.left(dash).trimmed().toLongLong(&okFrom);
        const QByteArray toText = dash < 0 ? QByteArray() : spec.mid(dash + 1).trimmed();
        const qint64 to = toText.isEmpty() ? -1 : toText.toLongLong(&okTo);
        if (dash < 0 || !okFrom || !okTo || from < 0 || (to >= 0 && to < from)) {
            *error = ApiError::invalidRange();
            return std::nullopt;
        }
        constexpr qint64 maxCount = std::numeric_limits<qint64>::max();
        r.offset = from > maxCount - r.offset ? maxCount : r.offset + from; // no overflow
        if (to >= 0) {
            const qint64 span = to - from < maxCount ? to - from + 1 : maxCount;
            r.limit = r.limit < 0 ? span : qMin(r.limit, span);
        }
    }

    if (!parsePreferences(http, allowTxOverride, &r, error))
        return std::nullopt;
    // Content negotiation before any SQL: CSV and nulls=stripped for reads
    // and calls; a write's answer is JSON only here (PostgREST also writes CSV).
    QByteArray asked;
    const std::optional<Media> media =
        negotiate(http.header("Accept"), r.operation == Operation::Read || r.rpc, &asked, &r.stripNulls);
    if (!media) {
        *error = ApiError::unacceptableMedia(asked);
        return std::nullopt;
    }
    r.media = *media;
    r.singleObject = r.media == Media::Object;
    r.body = http.body;
    if (r.rpc && r.operation == Operation::Create
        && http.header("Content-Type").startsWith("application/x-www-form-urlencoded")) {
        // name=value&name=value, decoded as a query string is.
        r.rpcFormBody = true;
        if (malformedEscape(r.body) >= 0 || r.body.contains('\0') || r.body.contains("%00")) {
            *error = ApiError::invalidBody(QStringLiteral("malformed application/x-www-form-urlencoded body"));
            return std::nullopt;
        }
        for (const QByteArray &pair : r.body.split('&')) {
            if (pair.isEmpty())
                continue;
            const qsizetype eq = pair.indexOf('=');
            r.rpcArguments.append({decodeComponent(eq < 0 ? pair : pair.left(eq)),
                                   eq < 0 ? QString() : decodeComponent(pair.mid(eq + 1))});
        }
    }
    return r;
}

} // namespace Aiodata::Server
