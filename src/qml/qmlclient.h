#pragma once

#include <Aiodata/client.h>

#include <QQmlParserStatus>
#include <QQmlPropertyMap> // complete for moc: the type of a property
#include <QtQml/qqmlregistration.h>

namespace Aiodata {

class Reply;

// The Client element of `import Aiodata 1.0`: an Aiodata::Client that
// connects declaratively and offers its tables by name.
//
//   Client {
//       id: client
//       url: "http://localhost:4000"
//       active: true
//   }
//   TableView { model: client.tables.pets }
class QmlClient : public Aiodata::Client, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(Client)
    // Whether the client should be connected; status says what it is.
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    // Table name -> TableModel, filled as the schema arrives. Bindings that
    // read a table before it exists are evaluated again on tablesChanged.
    Q_PROPERTY(QQmlPropertyMap *tables READ tableMap NOTIFY tablesChanged)
public:
    explicit QmlClient(QObject *parent = nullptr);
    ~QmlClient() override;

    bool isActive() const;
    void setActive(bool active);
    QQmlPropertyMap *tableMap() const;

    // Shadow Client's slots so that active follows them.
    Q_INVOKABLE void start();
    Q_INVOKABLE void stop();

    // QQmlParserStatus
    void classBegin() override;
    void componentComplete() override;

Q_SIGNALS:
    void activeChanged();

protected:
    void childEvent(QChildEvent *event) override;

private:
    void connectionSettingsChanged();
    void restart();
    void adoptReply(Reply *reply);

    QQmlPropertyMap *m_tables = nullptr;
    bool m_active = false;
    bool m_complete = false;
    bool m_restartPending = false;
};

} // namespace Aiodata
