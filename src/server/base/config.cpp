#include "base/config.h"

#include <algorithm>
#include <limits>

#include <QFile>
#include <QHash>
#include <QtGlobal>

namespace Aiodata::Server {

namespace {

// One value as written, with where it came from ("line 3" or an environment
// variable name) so that late checks can still point at the culprit.
struct RawValue
{
    QString value;
    QString where;
};

using RawValues = QHash<QString, RawValue>;

QString quoted(const QString &s)
{
    return QLatin1Char('"') + s + QLatin1Char('"');
}

// Splits one non-blank, non-comment line into key and value. Returns an
// error message without the "line N: " prefix, or an empty string.
QString parseLine(const QString &line, QString *key, QString *value)
{
    const qsizetype eq = line.indexOf(QLatin1Char('='));
    if (eq < 0)
        return QStringLiteral("expected key = value");
    *key = line.left(eq).trimmed();
    if (key->isEmpty())
        return QStringLiteral("expected key = value");

    const QString rest = line.mid(eq + 1).trimmed();
    if (!rest.startsWith(QLatin1Char('"'))) {
        // Unquoted: a '#' starts a comment (quote the value to keep a '#').
        const qsizetype hash = rest.indexOf(QLatin1Char('#'));
        *value = (hash < 0 ? rest : rest.left(hash)).trimmed();
        if (value->isEmpty())
            return QStringLiteral("missing value for %1").arg(*key);
        return {};
    }

    QString out;
    qsizetype i = 1;
    for (; i < rest.size(); ++i) {
        const QChar c = rest.at(i);
        if (c == QLatin1Char('"'))
            break;
        if (c == QLatin1Char('\\')) {
            if (i + 1 >= rest.size()) {
                i = rest.size(); // a trailing backslash escapes nothing: unterminated
                break;
            }
            const QChar next = rest.at(++i);
            if (next != QLatin1Char('"') && next != QLatin1Char('\\'))
                return QStringLiteral("invalid escape \\%1 in %2").arg(next, *key);
            out += next;
            continue;
        }
        out += c;
    }
    if (i >= rest.size())
        return QStringLiteral("unterminated quoted value for %1").arg(*key);
    const QString tail = rest.mid(i + 1).trimmed();
    if (!tail.isEmpty() && !tail.startsWith(QLatin1Char('#')))
        return QStringLiteral("unexpected text after quoted value for %1").arg(*key);
    *value = out;
    return {};
}

// Accepts standard and URL-safe alphabets (even mixed, as PostgREST does by
// mapping -_ to +/), with or without padding, ignoring surrounding whitespace
// (a secret file usually ends in a newline).
std::optional<QByteArray> decodeBase64Secret(const QByteArray &in)
{
    QByteArray s = in.trimmed();
    s.replace('-', '+').replace('_', '/');
    qsizetype unpadded = s.size();
    while (unpadded > 0 && s.at(unpadded - 1) == '=')
        --unpadded;
    if (unpadded % 4 == 1) // Qt silently drops such a dangling character
        return std::nullopt;
    auto r = QByteArray::fromBase64Encoding(s, QByteArray::Base64Encoding
                                                   | QByteArray::AbortOnBase64DecodingErrors);
    if (r.decodingStatus != QByteArray::Base64DecodingStatus::Ok)
        return std::nullopt;
    return r.decoded;
}

std::optional<bool> parseBool(const QString &s)
{
    if (s.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0)
        return true;
    if (s.compare(QLatin1String("false"), Qt::CaseInsensitive) == 0)
        return false;
    return std::nullopt;
}

QStringList splitSchemas(const QString &s)
{
    QStringList out;
    for (const QString &part : s.split(QLatin1Char(','))) {
        const QString name = part.trimmed();
        if (!name.isEmpty())
            out.append(name);
    }
    return out;
}

std::optional<RawValues> readRaw(const QByteArray &text, QString *error)
{
    RawValues raw;
    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype n = 0; n < lines.size(); ++n) {
        const QString line = QString::fromUtf8(lines.at(n)).trimmed(); // also drops \r
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        QString key, value;
        const QString problem = parseLine(line, &key, &value);
        const QString where = QStringLiteral("line %1").arg(n + 1);
        if (!problem.isEmpty()) {
            if (error)
                *error = where + QLatin1String(": ") + problem;
            return std::nullopt;
        }
        raw.insert(key, RawValue{value, where}); // a repeated key: the last one wins
    }
    return raw;
}

// Turns the raw key/value pairs into a Config; shared by parse() and
// fromFile() so that environment overrides get the same checks.
std::optional<Config> build(const RawValues &raw, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return std::optional<Config>();
    };
    auto at = [](const RawValue &v, const QString &message) -> QString { // not a QStringBuilder
        return v.where + QLatin1String(": ") + message;
    };

    Config config;

    if (const auto it = raw.constFind(QStringLiteral("db-pool")); it != raw.cend()) {
        bool ok = false;
        const int pool = it->value.toInt(&ok);
        if (!ok || pool <= 0)
            return fail(at(*it, QStringLiteral("db-pool must be a positive integer, got ")
                                    + quoted(it->value)));
        config.dbPool = pool;
    }

    if (const auto it = raw.constFind(QStringLiteral("db-prepared-statements")); it != raw.cend()) {
        const auto b = parseBool(it->value);
        if (!b)
            return fail(at(*it, QStringLiteral("db-prepared-statements must be true or false, got ")
                                    + quoted(it->value)));
        config.dbPreparedStatements = *b;
    }

    if (const auto it = raw.constFind(QStringLiteral("db-channel-enabled")); it != raw.cend()) {
        const auto b = parseBool(it->value);
        if (!b)
            return fail(at(*it, QStringLiteral("db-channel-enabled must be true or false, got ")
                                    + quoted(it->value)));
        config.dbChannelEnabled = *b;
    }
    if (const auto it = raw.constFind(QStringLiteral("db-channel")); it != raw.cend()) {
        // LISTEN takes any identifier (we quote it), but not an empty one.
        if (it->value.isEmpty())
            return fail(at(*it, QStringLiteral("db-channel must not be empty")));
        config.dbChannel = it->value;
    }

    bool secretIsBase64 = false;
    if (const auto it = raw.constFind(QStringLiteral("jwt-secret-is-base64")); it != raw.cend()) {
        const auto b = parseBool(it->value);
        if (!b)
            return fail(at(*it, QStringLiteral("jwt-secret-is-base64 must be true or false, got ")
                                    + quoted(it->value)));
        secretIsBase64 = *b;
    }

    if (const auto it = raw.constFind(QStringLiteral("jwt-secret")); it != raw.cend()) {
        QByteArray secret = it->value.toUtf8();
        if (secret.startsWith('@')) {
            // PostgREST reads "@path" from that file (relative to the working
            // directory) as bytes and drops one final LF (what editors and
            // `echo` leave), so tokens verify the same in both.
            const QString path = it->value.mid(1);
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                return fail(at(*it, QStringLiteral("jwt-secret: cannot read ") + path
                                        + QLatin1String(": ") + file.errorString()));
            secret = file.readAll();
            if (secret.endsWith('\n'))
                secret.chop(1);
        }
        if (secretIsBase64) {
            const auto decoded = decodeBase64Secret(secret);
            if (!decoded)
                return fail(at(*it, QStringLiteral("jwt-secret is not valid base64 "
                                                   "(jwt-secret-is-base64 is true)")));
            secret = *decoded;
        }
        config.jwtSecret = secret;
    }

    if (const auto it = raw.constFind(QStringLiteral("db-uri")); it != raw.cend())
        config.dbUri = it->value;
    if (config.dbUri.isEmpty())
        return fail(QStringLiteral("missing db-uri"));

    // db-schemas wins over the legacy db-schema whatever their order.
    auto schemas = raw.constFind(QStringLiteral("db-schemas"));
    if (schemas == raw.cend())
        schemas = raw.constFind(QStringLiteral("db-schema"));
    if (schemas != raw.cend()) {
        config.dbSchemas = splitSchemas(schemas->value);
        if (config.dbSchemas.isEmpty())
            return fail(at(*schemas, QStringLiteral("db-schemas must name at least one schema")));
    }
    if (config.dbSchemas.isEmpty())
        return fail(QStringLiteral("missing db-schemas (or db-schema)"));

    config.dbAnonRole = raw.value(QStringLiteral("db-anon-role")).value;
    config.jwtAudience = raw.value(QStringLiteral("jwt-aud")).value;
    if (const auto it = raw.constFind(QStringLiteral("jwt-role-claim-key")); it != raw.cend()) {
        // Checked when the verifier parses it (its syntax is the verifier's).
        if (it->value.trimmed().isEmpty())
            return fail(at(*it, QStringLiteral("jwt-role-claim-key must not be empty")));
        config.jwtRoleClaimKey = it->value.trimmed();
    }
    if (const auto it = raw.constFind(QStringLiteral("jwt-cache-max-entries")); it != raw.cend()) {
        bool ok = false;
        const int entries = it->value.trimmed().toInt(&ok);
        if (!ok || entries < 0)
            return fail(at(*it, QStringLiteral("jwt-cache-max-entries must be a number (0 or more), got ")
                                    + quoted(it->value)));
        config.jwtCacheMaxEntries = entries;
    }
    if (const auto it = raw.constFind(QStringLiteral("jwt-cache-max-lifetime")); it != raw.cend()) {
        bool ok = false;
        const qint64 seconds = it->value.trimmed().toLongLong(&ok);
        if (!ok || seconds < 0)
            return fail(at(*it, QStringLiteral("jwt-cache-max-lifetime must be a number of seconds (0 or more), got ")
                                    + quoted(it->value)));
        config.jwtCacheMaxLifetime = seconds;
    }
    if (const auto it = raw.constFind(QStringLiteral("db-tx-end")); it != raw.cend()) {
        static const QList<QPair<QString, Config::TxEnd>> values = {
            {QStringLiteral("commit"), Config::TxEnd::Commit},
            {QStringLiteral("commit-allow-override"), Config::TxEnd::CommitAllowOverride},
            {QStringLiteral("rollback"), Config::TxEnd::Rollback},
            {QStringLiteral("rollback-allow-override"), Config::TxEnd::RollbackAllowOverride},
        };
        const auto value = std::find_if(values.cbegin(), values.cend(), [&](const auto &v) { return v.first == it->value; });
        if (value == values.cend())
            return fail(at(*it, QStringLiteral("db-tx-end must be commit, commit-allow-override, rollback or "
                                               "rollback-allow-override, got ")
                                    + quoted(it->value)));
        config.dbTxEnd = value->second;
    }
    // PostgREST's key; unset means no browser origin is allowed (see docs/security.md).
    for (const QString &origin : raw.value(QStringLiteral("server-cors-allowed-origins")).value.split(QLatin1Char(','))) {
        if (!origin.trimmed().isEmpty())
            config.corsAllowedOrigins.append(origin.trimmed());
    }
    return config;
}

bool isAllDigits(const QString &s)
{
    if (s.isEmpty())
        return false;
    for (QChar c : s) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return false;
    }
    return true;
}

} // namespace

std::optional<Config> Config::parse(const QByteArray &text, QString *error)
{
    // Pure: no environment lookups here (fromFile applies them); the only
    // outside input is an "@file" jwt-secret, which the file asks for.
    const auto raw = readRaw(text, error);
    if (!raw)
        return std::nullopt;
    return build(*raw, error);
}

std::optional<Config> Config::fromFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot read ") + path + QLatin1String(": ") + file.errorString();
        return std::nullopt;
    }
    auto raw = readRaw(file.readAll(), error);
    if (!raw)
        return std::nullopt;

    // Like PostgREST, a set PGRST_* variable beats the file, even when set to
    // an empty string (which then clears the value). Applied before the
    // checks, so an @file or base64 secret from the environment works too.
    static const struct { const char *env; const char *key; } overrides[] = {
        {"PGRST_DB_URI", "db-uri"},
        {"PGRST_DB_SCHEMAS", "db-schemas"},
        {"PGRST_DB_ANON_ROLE", "db-anon-role"},
        {"PGRST_JWT_SECRET", "jwt-secret"},
        {"PGRST_JWT_SECRET_IS_BASE64", "jwt-secret-is-base64"},
        {"PGRST_JWT_AUD", "jwt-aud"},
        {"PGRST_JWT_ROLE_CLAIM_KEY", "jwt-role-claim-key"},
        {"PGRST_JWT_CACHE_MAX_ENTRIES", "jwt-cache-max-entries"},
        {"PGRST_JWT_CACHE_MAX_LIFETIME", "jwt-cache-max-lifetime"},
        {"PGRST_SERVER_CORS_ALLOWED_ORIGINS", "server-cors-allowed-origins"},
        {"PGRST_DB_CHANNEL", "db-channel"},
        {"PGRST_DB_CHANNEL_ENABLED", "db-channel-enabled"},
        {"PGRST_DB_TX_END", "db-tx-end"},
    };
    for (const auto &o : overrides) {
        if (qEnvironmentVariableIsSet(o.env))
            raw->insert(QLatin1String(o.key),
                        RawValue{qEnvironmentVariable(o.env), QLatin1String(o.env)});
    }
    auto config = build(*raw, error);
    if (config)
        config->sourcePath = path;
    return config;
}

bool Config::setListen(const QString &hostPort)
{
    QString host;
    QString port = hostPort;
    if (hostPort.startsWith(QLatin1Char('['))) {
        const qsizetype close = hostPort.indexOf(QLatin1String("]:"));
        if (close < 0)
            return false;
        host = hostPort.mid(1, close - 1);
        port = hostPort.mid(close + 2);
        if (host.isEmpty())
            return false;
    } else if (const qsizetype colon = hostPort.indexOf(QLatin1Char(':')); colon >= 0) {
        host = hostPort.left(colon);
        port = hostPort.mid(colon + 1);
    }

    // Digits only: toUInt() would also take "+80" or " 80". This also
    // refuses a bare IPv6 address ("::1:80" leaves "1:80"): it needs brackets.
    if (!isAllDigits(port) || port.size() > 5)
        return false;
    const uint portNumber = port.toUInt();
    if (portNumber > 65535)
        return false;

    QHostAddress address = listenAddress;
    if (hostPort.startsWith(QLatin1Char('['))) {
        if (!address.setAddress(host) || address.protocol() != QAbstractSocket::IPv6Protocol)
            return false;
    } else if (!host.isEmpty()) { // empty for ":PORT" and "PORT": the host stays
        if (host == QLatin1String("localhost")) {
            // No DNS here; the one name everybody expects to work.
            address = QHostAddress(QHostAddress::LocalHost);
        } else if (host == QLatin1String("*")) {
            address = QHostAddress(QHostAddress::Any); // PostgREST's spelling of "all"
        } else if (!address.setAddress(host)
                   || address.protocol() != QAbstractSocket::IPv4Protocol) {
            return false;
        }
    }

    listenAddress = address;
    listenPort = quint16(portNumber);
    return true;
}

bool Config::applyLimitsFromEnvironment(QString *error)
{
    const struct {
        const char *name;
        qint64 *wide;
        int *narrow;
    } limits[] = {
        {"AIODATA_MAX_BODY_BYTES", &maxBodyBytes, nullptr},
        {"AIODATA_MAX_SUBSCRIBERS", nullptr, &maxSubscribers},
        {"AIODATA_MAX_SUBSCRIBERS_PER_TOKEN", nullptr, &maxSubscribersPerToken},
        {"AIODATA_MAX_SUBSCRIPTIONS", nullptr, &maxSubscriptions},
        {"AIODATA_MAX_SEND_BUFFER", &maxSendBufferBytes, nullptr},
        {"AIODATA_HISTORY_BYTES", &historyBytes, nullptr},
        {"AIODATA_HISTORY_SECONDS", nullptr, &historySeconds},
        {"AIODATA_IDEMPOTENCY_SECONDS", &idempotencySeconds, nullptr},
    };
    for (const auto &limit : limits) {
        const QByteArray value = qgetenv(limit.name);
        if (value.isEmpty())
            continue;
        bool ok = false;
        const qint64 n = value.toLongLong(&ok);
        if (!ok || n <= 0 || (limit.narrow && n > std::numeric_limits<int>::max())) {
            if (error)
                *error = QStringLiteral("%1 must be a positive integer, got \"%2\"")
                             .arg(QLatin1String(limit.name), QString::fromUtf8(value));
            return false;
        }
        if (limit.wide)
            *limit.wide = n;
        else
            *limit.narrow = int(n);
    }
    return true;
}

} // namespace Aiodata::Server
