#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

namespace Aiodata::Server {

// One committed change to one table: the rows as PostgreSQL's JSON.
struct Change
{
    enum class Action { Create, Update, Delete };

    quint64 seq = 0;          // position in the stream; only grows
    Action action = Action::Create;
    QString schema;
    QString table;
    QByteArray rows;          // JSON array: created rows, new rows, or deleted rows
    QByteArray oldRows;       // JSON array, updates only: old rows pairing with rows

    static QByteArray actionName(Action action);
};

// Where events come from. The first implementation records the server's own
// writes (OwnWritesSource); change capture from the WAL plugs in here too.
class ChangeSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~ChangeSource() override;

    virtual QString name() const = 0;
    virtual quint64 lastSeq() const = 0;   // position of the newest change so far

Q_SIGNALS:
    void changed(const Aiodata::Server::Change &change);
};

} // namespace Aiodata::Server
