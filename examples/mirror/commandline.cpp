#include "commandline.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Aiodata::Mirror {

static const char defaultUrl[] = "http://127.0.0.1:4000";

CommandLine::CommandLine()
    : m_helpOption({QStringLiteral("h"), QStringLiteral("help")}, tr("Show this help and exit."))
    , m_urlOption(QStringLiteral("url"), tr("Server URL (default %1).").arg(QLatin1String(defaultUrl)), QStringLiteral("URL"),
                  QLatin1String(defaultUrl))
    , m_tokenOption(QStringLiteral("token"),
                    tr("JWT whose role claim picks the PostgreSQL role (default: $AIODATA_TOKEN; none: the anon role)."),
                    QStringLiteral("JWT"))
    , m_cacheOption(QStringLiteral("cache"), tr("Cache folder: the table opens from it, then follows the server from there; writes are journaled in it."), QStringLiteral("DIR"))
    , m_offlineOption(QStringLiteral("offline"), tr("Without connecting: print the table from the --cache alone, or queue a write in it."))
    , m_followOption(QStringLiteral("follow"), tr("After the rows, print one JSON line per change applied, until killed."))
    , m_createOption(QStringLiteral("create"), tr("Insert a row (a JSON object) or rows (a JSON array of objects)."),
                     QStringLiteral("JSON"))
    , m_updateOption(QStringLiteral("update"), tr("Set these columns (a JSON object) in the rows --key selects."),
                     QStringLiteral("JSON"))
    , m_removeOption(QStringLiteral("remove"), tr("Delete the rows --key selects."))
    , m_keyOption(QStringLiteral("key"),
                  tr("Primary-key prefix K1[/K2...] in key order; a part may be percent-encoded (%2F for a slash)."),
                  QStringLiteral("K1[/K2...]"))
{
    m_parser.setApplicationDescription(
        tr("Mirror one table of an aiodata server on stdout as JSON lines, or write to it through the model's API."));
    m_parser.addOptions({m_helpOption, m_urlOption, m_tokenOption, m_cacheOption, m_offlineOption, m_followOption,
                         m_createOption, m_updateOption, m_removeOption, m_keyOption});
    m_parser.addPositionalArgument(QStringLiteral("TABLE"), tr("The table (as GET / lists it for the token's role)."));
    m_parser.addPositionalArgument(QStringLiteral("QUERY"), tr("A PostgREST query string (filters, select=): mirror that live subset of TABLE."),
                                   QStringLiteral("[QUERY]"));
}

QString CommandLine::helpText() const
{
    // QCommandLineParser has no epilogue: the modes and exit codes follow its text.
    return m_parser.helpText() + tr(R"(
Usage forms:
  aiodata-mirror [--url URL] [--token JWT] [--cache DIR] [--offline] [--follow] TABLE [QUERY]
  aiodata-mirror [--url URL] [--token JWT] [--cache DIR] [--offline] TABLE
                 (--create JSON | --update JSON --key K1[/K2...] | --remove --key K1[/K2...])

Read mode: once the table's copy is consistent with the server, prints its
rows (with a QUERY, those of that live subset: PostgREST filters and
select=, the key columns always kept) as one JSON array on one line (objects keyed by column name, in column
order, values as the REST API gives them), sorted by primary key, and exits.
With --follow it goes on with one JSON line per change applied to the table:
  {"action": "create"|"update"|"delete"|"truncate", "table": T, "rows": [...], "old": [...]}
("old" holds the rows before an update, [] otherwise; a truncate has no
rows), one line per change of the table in a transaction, and prints the whole
table again as an array line whenever the copy is consistent again after a
reconnect. Every line is flushed.

Write mode: sends the write, waits for the server's answer and prints the
affected rows as one JSON array line ([] when --key matched nothing). With
--cache the write is first stored in the cache's journal (synced to disk),
then sent, after the writes queued before it, with its Idempotency-Key: a
run killed at any moment, or a server restarted, never applies it twice.
With --offline it is only queued (exit 0, nothing printed): the next run
with the same --cache, of any mode, sends it before printing.

Exit codes:
  0  done (rows printed, or the write confirmed)
  1  the server refused (bad token, no privilege, a constraint, a QUERY it does
     not take, or a write queued by an earlier run): its message on stderr
  2  usage: a bad command line, a table the server does not list for this role
     (or without a primary key)
  3  the server is unreachable (or did not answer within 15 seconds); with
     --cache a write stays queued for the next run
  4  the cache is unusable: --offline and no cached copy of TABLE for this
     server and token (never mirrored with --cache, or discarded as damaged)
)");
}

bool CommandLine::fail(const QString &error)
{
    m_error = error;
    return false;
}

// --key a/b%2Fc -> {"a", "b/c"}.
static QVariantList parseKey(const QString &text, bool *ok)
{
    QVariantList key;
    *ok = true;
    for (const QString &part : text.split(QLatin1Char('/'))) {
        if (part.isEmpty()) {
            *ok = false;
            return {};
        }
        key.append(QUrl::fromPercentEncoding(part.toUtf8()));
    }
    return key;
}

bool CommandLine::parse(const QStringList &arguments, const QString &environmentToken)
{
    m_options = Options();
    m_error.clear();
    if (!m_parser.parse(arguments))
        return fail(m_parser.errorText());
    m_help = m_parser.isSet(m_helpOption);
    if (m_help)
        return true;

    Options &o = m_options;
    o.url = QUrl(m_parser.value(m_urlOption), QUrl::StrictMode);
    if (!o.url.isValid() || (o.url.scheme() != QLatin1String("http") && o.url.scheme() != QLatin1String("https"))
        || o.url.host().isEmpty())
        return fail(tr("--url: not an http or https URL: %1").arg(m_parser.value(m_urlOption)));
    o.token = m_parser.isSet(m_tokenOption) ? m_parser.value(m_tokenOption) : environmentToken;

    const QStringList positional = m_parser.positionalArguments();
    if (positional.isEmpty())
        return fail(tr("No TABLE given."));
    if (positional.size() > 2)
        return fail(tr("Too many arguments: %1").arg(positional.mid(2).join(QLatin1Char(' '))));
    o.table = positional.at(0);
    if (o.table.isEmpty())
        return fail(tr("No TABLE given."));
    o.query = positional.value(1);
    o.cacheDir = m_parser.value(m_cacheOption);
    o.offline = m_parser.isSet(m_offlineOption);
    o.follow = m_parser.isSet(m_followOption);

    const bool create = m_parser.isSet(m_createOption);
    const bool update = m_parser.isSet(m_updateOption);
    const bool remove = m_parser.isSet(m_removeOption);
    if (int(create) + int(update) + int(remove) > 1)
        return fail(tr("Give one of --create, --update and --remove."));
    for (const QCommandLineOption *single : {&m_createOption, &m_updateOption, &m_keyOption, &m_urlOption, &m_tokenOption,
                                             &m_cacheOption}) {
        if (m_parser.values(*single).size() > 1)
            return fail(tr("--%1 given more than once.").arg(single->names().constLast()));
    }
    o.mode = create ? Options::Create : update ? Options::Update : remove ? Options::Remove : Options::Read;
    if (o.mode != Options::Read) {
        if (o.follow)
            return fail(tr("--follow is for reading; it does not go with --create, --update or --remove."));
        if (!o.query.isEmpty())
            return fail(tr("A QUERY does not go with --create, --update or --remove."));
    }

    const bool keyed = o.mode == Options::Update || o.mode == Options::Remove;
    if (m_parser.isSet(m_keyOption) && !keyed)
        return fail(tr("--key goes with --update or --remove."));
    if (keyed) {
        if (!m_parser.isSet(m_keyOption))
            return fail(tr("--%1 needs --key K1[/K2...] (the rows to change).").arg(update ? QStringLiteral("update")
                                                                                         : QStringLiteral("remove")));
        bool ok = false;
        o.key = parseKey(m_parser.value(m_keyOption), &ok);
        if (!ok)
            return fail(tr("--key: an empty key part in \"%1\".").arg(m_parser.value(m_keyOption)));
    }

    if (create || update) {
        const QString text = m_parser.value(create ? m_createOption : m_updateOption);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
        if (error.error != QJsonParseError::NoError)
            return fail(tr("--%1: not valid JSON: %2").arg(create ? QStringLiteral("create") : QStringLiteral("update"),
                                                          error.errorString()));
        if (create) {
            bool ok = doc.isObject() || (doc.isArray() && !doc.array().isEmpty());
            for (const QJsonValue &row : doc.array())
                ok = ok && row.isObject();
            if (!ok)
                return fail(tr("--create: give a JSON object or a non-empty array of objects."));
            o.data = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
        } else {
            if (!doc.isObject() || doc.object().isEmpty())
                return fail(tr("--update: give a non-empty JSON object of column values."));
            o.data = doc.object();
        }
    }
    return true;
}

bool CommandLine::checkSupported()
{
    if (m_options.offline && m_options.cacheDir.isEmpty())
        return fail(tr("--offline needs --cache DIR."));
    if (m_options.offline && !m_options.query.isEmpty())
        return fail(tr("--offline with a QUERY is not supported yet: subsets are not cached."));
    if (m_options.offline && m_options.follow)
        return fail(tr("--follow needs the server; it does not go with --offline."));
    return true;
}

} // namespace Aiodata::Mirror
