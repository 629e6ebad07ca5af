#include "mirror.h"

#include "exitcode.h"
#include "jsonlines.h"

#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>

namespace Aiodata::Mirror {

// One line on stdout, flushed: a script reading a pipe sees it at once.
static void printLine(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

static void printError(const QString &message)
{
    const QByteArray text = "aiodata-mirror: " + message.toLocal8Bit() + '\n';
    std::fwrite(text.constData(), 1, size_t(text.size()), stderr);
    std::fflush(stderr);
}

Mirror::Mirror(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
{
    m_client.setUrl(options.url);
    m_client.setToken(options.token);
    m_client.setCacheDirectory(options.cacheDir);
    // A QUERY mirrors a subset: a selective stream with no whole table.
    if (!options.query.isEmpty())
        m_client.setSyncedTables({});
    m_connectTimeout.setSingleShot(true);
    m_connectTimeout.setInterval(ConnectTimeoutMs);
    connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
        finish(Unreachable, tr("No answer from %1 within %2 seconds.")
                                .arg(m_options.url.toDisplayString())
                                .arg(ConnectTimeoutMs / 1000));
    });
    connect(&m_client, &Client::tablesChanged, this, &Mirror::onTablesKnown);
    connect(&m_client, &Client::ready, this, &Mirror::onReady);
    connect(&m_client, &Client::errorOccurred, this, &Mirror::onError);
    connect(&m_client, &Client::statusChanged, this, &Mirror::onStatus);
    // Writes queued by an earlier run (--cache): sent before the table is printed.
    connect(&m_client, &Client::pendingWritesChanged, this, [this](int pending) {
        if (pending == 0 && m_options.mode == Options::Read && m_client.status() == Client::Ready)
            onReady();
    });
    connect(&m_client, &Client::writeRefused, this,
            [this](const QString &table, const QVariantMap &write, const QString &code, const QString &message) {
                m_queuedWriteRefused = true;
                printError(tr("the server refused a queued %1 of %2: %3 (code %4)")
                               .arg(write.value(QStringLiteral("method")).toString(), table, message, code));
            });
    connect(&m_client, &Client::tableRemoved, this, [this](TableModel *model) {
        if (model == m_model && m_client.isFromCache()) {
            m_model = nullptr; // the cache's copy, of a shape the server no longer has: its new model follows
            return;
        }
        if (model == m_model && !m_writing)
            finish(Refused, tr("Table %1 is gone from the server's schema (dropped, no longer readable, or its "
                               "columns changed); run again.")
                                .arg(m_options.table));
    });
}

Mirror::~Mirror() = default;

void Mirror::start()
{
    if (m_options.offline) {
        connect(&m_client, &Client::cacheOpened, this, &Mirror::onCacheOpened);
        m_client.openCache();
        return;
    }
    m_connectTimeout.start();
    m_client.start();
}

// --offline: the cache alone.
void Mirror::onCacheOpened()
{
    m_model = m_client.table(m_options.table);
    if (!m_model) {
        finish(CacheUnusable, tr("No cached copy of table %1 for %2 and this token in %3 (mirror it once without --offline).")
                                  .arg(m_options.table, m_options.url.toDisplayString(), m_options.cacheDir));
        return;
    }
    if (m_options.mode != Options::Read) {
        write(); // queued only: the next run that connects sends it
        return;
    }
    printTable();
    finish(Done);
}

void Mirror::finish(int exitCode, const QString &message)
{
    if (m_finished)
        return;
    m_finished = true;
    m_connectTimeout.stop();
    if (!message.isEmpty())
        printError(message);
    m_client.stop();
    Q_EMIT finished(exitCode);
}

// The description (GET /) is here: the table is known or it is not.
// tablesChanged() says so first when the role sees any keyed table, ready()
// when it sees none.
void Mirror::onTablesKnown()
{
    if (m_finished || m_model || m_options.offline)
        return;
    if (m_client.isFromCache()) {
        // The cache's tables, not yet the server's word: a table missing
        // here may still come with the server's description.
        if (m_options.query.isEmpty())
            m_model = m_client.table(m_options.table);
        // A write needs the model, not the server: it is journaled at once.
        if (m_model && m_options.mode != Options::Read && !m_writing)
            write();
        return;
    }
    m_connectTimeout.stop();
    if (!m_options.query.isEmpty()) {
        onSubsetKnown();
        return;
    }
    m_model = m_client.table(m_options.table);
    if (!m_model) {
        // GET / lists every table the role may read, all at once: a table
        // missing from it is a wrong name on the command line.
        finish(Usage, tr("No table %1 (for this token's role, with a primary key) at %2; it has: %3.")
                          .arg(m_options.table, m_options.url.toDisplayString(),
                               m_client.tableNames().isEmpty() ? tr("none") : m_client.tableNames().join(QStringLiteral(", "))));
        return;
    }
    if (m_options.mode != Options::Read && !m_writing)
        write(); // the write needs the model, not its rows
}

// TABLE QUERY: a subset model, live once its own fill is in.
void Mirror::onSubsetKnown()
{
    // The description is in (ready or tablesChanged came): a null model is
    // a table this role does not see, or one without a primary key.
    m_model = m_client.model(m_options.table, m_options.query);
    if (!m_model) {
        finish(Usage, tr("No table %1 (for this token's role, with a primary key) at %2.")
                          .arg(m_options.table, m_options.url.toDisplayString()));
        return;
    }
    // The server refuses a query as the REST API would (code and message).
    connect(m_model, &TableModel::errorOccurred, this, [this](const QString &message) {
        finish(Refused, tr("The server refused the query: %1").arg(message));
    });
    connect(m_model, &TableModel::loadedChanged, this, &Mirror::onReady);
}

void Mirror::onReady()
{
    if (m_finished)
        return;
    onTablesKnown();
    if (m_finished || m_options.mode != Options::Read)
        return;
    if (m_model && !m_model->isLoaded())
        return; // a subset: its fill is still on its way
    if (!m_printed && m_client.pendingWrites() > 0)
        return; // queued writes first, and their changes back (pendingWritesChanged)
    if (m_printed) {
        // Consistent again after a reconnect (resumed or re-snapshotted):
        // the whole table again, then the changes from here on.
        printError(tr("reconnected"));
        printTable();
        return;
    }
    printTable();
    m_printed = true;
    if (!m_options.follow) {
        finish(m_queuedWriteRefused ? Refused : Done);
        return;
    }
    follow();
}

void Mirror::printTable()
{
    printLine(JsonLines::rows(m_model->columnNames(), m_model->get()));
}

void Mirror::follow()
{
    // Connected after the first line: the events applied before it (the
    // client's buffer) are in that line already.
    TableModel *model = m_model;
    const QStringList columns = model->columnNames();
    const QString table = m_options.table;
    connect(model, &TableModel::created, this, [columns, table](const QVariantList &rows) {
        printLine(JsonLines::change(QStringLiteral("create"), table, columns, rows, {}));
    });
    connect(model, &TableModel::updated, this, [columns, table](const QVariantList &oldRows, const QVariantList &newRows) {
        printLine(JsonLines::change(QStringLiteral("update"), table, columns, newRows, oldRows));
    });
    connect(model, &TableModel::deleted, this, [columns, table](const QVariantList &rows) {
        printLine(JsonLines::change(QStringLiteral("delete"), table, columns, rows, {}));
    });
    // As on the wire: a truncate names no rows.
    connect(model, &TableModel::truncated, this, [columns, table] {
        printLine(JsonLines::change(QStringLiteral("truncate"), table, columns, {}, {}));
    });
}

void Mirror::onError(Client::Error error, const QString &message)
{
    if (m_finished)
        return;
    if (m_writing) {
        // A journaled write (--cache) waits for the server; a plain one's
        // outcome is its Reply's.
        if (m_journaled && error == Client::AuthenticationError)
            finish(Refused, message);
        else if (m_journaled && error == Client::ConnectionError && !m_everReady)
            finish(Unreachable, tr("%1; the write stays queued in %2 and is sent by the next run with this --cache.")
                                    .arg(message, m_options.cacheDir));
        return;
    }
    if (error == Client::AuthenticationError) {
        finish(Refused, message); // the client does not retry this
        return;
    }
    if (m_printed) {
        printError(message); // --follow: the client reconnects by itself
        return;
    }
    // Before the first answer the client would retry for ever; a command
    // says what went wrong instead.
    finish(error == Client::ConnectionError ? Unreachable : Refused, message);
}

void Mirror::onStatus(Client::Status status)
{
    if (status == Client::Loading || status == Client::Ready)
        m_connectTimeout.stop(); // the server answered
    if (status == Client::Ready)
        m_everReady = true;
    if (status == Client::Reconnecting && m_printed && !m_finished)
        printError(tr("connection lost, reconnecting"));
}

void Mirror::write()
{
    TableModel *model = m_model;
    if (m_options.key.size() > model->primaryKey().size()) {
        finish(Usage, tr("--key has %1 parts; the primary key of %2 has %3 (%4).")
                          .arg(m_options.key.size())
                          .arg(m_options.table)
                          .arg(model->primaryKey().size())
                          .arg(model->primaryKey().join(QLatin1Char('/'))));
        return;
    }
    m_writing = true;
    // A journaled write is sent once the client is Ready: until then the
    // connection timeout still holds.
    if (m_options.cacheDir.isEmpty())
        m_connectTimeout.stop();
    const int pendingBefore = m_client.pendingWrites();
    Reply *reply = nullptr;
    switch (m_options.mode) {
    case Options::Create:
        if (m_options.data.isObject()) {
            reply = model->create(m_options.data.toObject().toVariantMap());
        } else {
            QList<QVariantMap> rows;
            for (const QJsonValue &row : m_options.data.toArray())
                rows.append(row.toObject().toVariantMap());
            reply = model->create(rows);
        }
        break;
    case Options::Update:
        reply = model->update(m_options.key, m_options.data.toObject().toVariantMap());
        break;
    case Options::Remove:
        reply = model->remove(m_options.key);
        break;
    case Options::Read:
        Q_UNREACHABLE();
    }
    m_journaled = m_client.pendingWrites() > pendingBefore;
    if (m_options.offline) {
        // Journaled (on disk) when the call returned: done, unless it was refused at once.
        if (m_journaled) {
            finish(Done);
            return;
        }
        connect(reply, &Reply::finished, this, [this, reply] {
            finish(CacheUnusable, tr("The write was not queued: %1").arg(reply->errorString()));
        });
        return;
    }
    const QStringList columns = model->columnNames();
    connect(reply, &Reply::finished, this, [this, reply, columns] {
        reply->deleteLater();
        if (reply->error() == Reply::NoError) {
            printLine(JsonLines::rows(columns, reply->rows()));
            finish(Done);
        } else if (reply->error() == Reply::NetworkError) {
            finish(Unreachable, reply->errorString());
        } else {
            const QString code = reply->errorCode().isEmpty() ? QString() : tr(", code %1").arg(reply->errorCode());
            finish(Refused, tr("%1 (HTTP %2%3)").arg(reply->errorString()).arg(reply->httpStatus()).arg(code));
        }
    });
}

} // namespace Aiodata::Mirror
