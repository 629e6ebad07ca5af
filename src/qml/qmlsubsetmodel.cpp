#include "qmlsubsetmodel.h"

namespace Aiodata {

QmlSubsetModel::QmlSubsetModel(QObject *parent)
    : QIdentityProxyModel(parent)
{
}

void QmlSubsetModel::setClient(Client *client)
{
    if (m_client == client)
        return;
    if (m_client)
        m_client->disconnect(this);
    m_client = client;
    // The client knows its tables once the schema came: try again then.
    if (client)
        connect(client, &Client::statusChanged, this, &QmlSubsetModel::update);
    Q_EMIT clientChanged();
    update();
}

void QmlSubsetModel::setTable(const QString &table)
{
    if (m_table == table)
        return;
    m_table = table;
    Q_EMIT tableChanged();
    update();
}

void QmlSubsetModel::setQuery(const QString &query)
{
    if (m_query == query)
        return;
    m_query = query;
    Q_EMIT queryChanged();
    update();
}

void QmlSubsetModel::componentComplete()
{
    m_complete = true;
    update();
}

void QmlSubsetModel::update()
{
    // Not before all three are set: each half-set state would subscribe.
    if (!m_complete || !m_client || m_table.isEmpty())
        return;
    // Loading and later: the schema is there (model() would warn before).
    const Client::Status status = m_client->status();
    if (status != Client::Loading && status != Client::Ready && status != Client::Reconnecting)
        return;
    TableModel *model = m_client->model(m_table, m_query);
    if (model == m_model)
        return;
    m_model = model;
    setSourceModel(model);
    Q_EMIT modelChanged();
}

} // namespace Aiodata
