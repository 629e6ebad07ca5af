#pragma once

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QIdentityProxyModel>
#include <QPointer>
#include <QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace Aiodata {

// The SubsetModel element of `import Aiodata 1.0`: client.model(table, query)
// declared, for views that bind a model before the client is ready.
//
//   SubsetModel { id: dogs; client: client; table: "pets"; query: "type=eq.Dog" }
//   TableView { model: dogs }
//
// It shows the client's subset model (the same one client.model() gives)
// once the client knows the table, and follows a new table or query.
class QmlSubsetModel : public QIdentityProxyModel, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(SubsetModel)
    Q_PROPERTY(Aiodata::Client *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(QString table READ table WRITE setTable NOTIFY tableChanged)
    Q_PROPERTY(QString query READ query WRITE setQuery NOTIFY queryChanged)
    // The subset model itself (its loaded, errorString, writes); null until made.
    Q_PROPERTY(Aiodata::TableModel *model READ model NOTIFY modelChanged)
public:
    explicit QmlSubsetModel(QObject *parent = nullptr);

    Client *client() const { return m_client; }
    void setClient(Client *client);
    QString table() const { return m_table; }
    void setTable(const QString &table);
    QString query() const { return m_query; }
    void setQuery(const QString &query);
    TableModel *model() const { return m_model; }

    void classBegin() override {}
    void componentComplete() override;

Q_SIGNALS:
    void clientChanged();
    void tableChanged();
    void queryChanged();
    void modelChanged();

private:
    void update();

    QPointer<Client> m_client;
    QString m_table;
    QString m_query;
    QPointer<TableModel> m_model;
    bool m_complete = false;
};

} // namespace Aiodata
