// Links against the installed libaiodata and shows a table in a QTableView,
// through the public API only (the installed headers have nothing else).
#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTableView>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    Aiodata::Client client;
    const QJsonObject table = QJsonDocument::fromJson(
        R"({"name":"t","primaryKey":["id"],"columns":[{"name":"id","type":"integer","primaryKey":1}]})").object();
    Aiodata::TableModel model(Aiodata::TableSchema::fromJson(table));
    QTableView view;
    view.setModel(&model);
    // A write without a connection: the reply still finishes (a signal
    // from the library's moc code), with a network error.
    Aiodata::Reply *reply = model.create(model.makeRow({1}));
    bool failed = false;
    QObject::connect(reply, &Aiodata::Reply::finished, &app, [&] {
        failed = reply->error() == Aiodata::Reply::NetworkError;
        app.quit();
    });
    app.exec();
    const bool ok = client.status() == Aiodata::Client::Disconnected && failed && model.rowCount() == 0
        && model.columnCount() == 1 && model.headerData(0, Qt::Horizontal).toString() == QLatin1String("id");
    return ok ? 0 : 1;
}
