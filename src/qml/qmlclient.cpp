#include "qmlclient.h"
#include "tablesmap.h"

#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QChildEvent>
#include <QJSEngine>
#include <QPointer>

namespace Aiodata {

QmlClient::QmlClient(QObject *parent)
    : Client(parent)
    , m_tables(new TablesMap(this))
{
    connect(this, &Client::tableAdded, this, [this](TableModel *model) {
        m_tables->insert(model->name(), QVariant::fromValue(model));
    });
    // A table dropped on the server (schema reload): client.tables.<name> becomes undefined.
    connect(this, &Client::tableRemoved, this, [this](TableModel *model) { m_tables->clear(model->name()); });
    // A declarative client follows its settings: url: field.text reconnects.
    connect(this, &Client::urlChanged, this, &QmlClient::connectionSettingsChanged);
    connect(this, &Client::tokenChanged, this, &QmlClient::connectionSettingsChanged);
}

QmlClient::~QmlClient() = default;

bool QmlClient::isActive() const
{
    return m_active;
}

void QmlClient::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    // Before componentComplete url and token may not be set yet.
    if (!m_complete)
        return;
    if (active)
        Client::start();
    else
        Client::stop();
}

QQmlPropertyMap *QmlClient::tableMap() const
{
    return m_tables;
}

void QmlClient::start()
{
    setActive(true);
}

void QmlClient::stop()
{
    setActive(false);
}

void QmlClient::classBegin()
{
}

void QmlClient::componentComplete()
{
    m_complete = true;
    if (m_active)
        Client::start();
}

void QmlClient::connectionSettingsChanged()
{
    if (!m_complete || !m_active || m_restartPending)
        return;
    // Setting url and token together reconnects once.
    m_restartPending = true;
    QMetaObject::invokeMethod(this, &QmlClient::restart, Qt::QueuedConnection);
}

void QmlClient::restart()
{
    m_restartPending = false;
    if (!m_active)
        return;
    Client::stop();
    Client::start();
}

void QmlClient::childEvent(QChildEvent *event)
{
    Client::childEvent(event);
    if (event->type() != QEvent::ChildAdded)
        return;
    // Writes parent their Reply to the client; the child is still being
    // constructed here, so look at it once it is complete.
    QPointer<QObject> child = event->child();
    QMetaObject::invokeMethod(this, [this, child] {
        if (auto *reply = qobject_cast<Reply *>(child.data()))
            adoptReply(reply);
    }, Qt::QueuedConnection);
}

// A Reply handed to QML would otherwise live as long as the client: once it
// has finished it belongs to the JavaScript that holds it, and the garbage
// collector frees it when nothing refers to it any more. Until then the
// client keeps it, so a write whose reply nobody kept still reports.
void QmlClient::adoptReply(Reply *reply)
{
    const auto release = [reply] {
        // Replies QML never saw (setData's) are freed by whoever made them.
        if (!qjsEngine(reply))
            return;
        reply->setParent(nullptr);
        QJSEngine::setObjectOwnership(reply, QJSEngine::JavaScriptOwnership);
    };
    if (reply->isFinished())
        release();
    else
        connect(reply, &Reply::finished, this, release);
}

} // namespace Aiodata
