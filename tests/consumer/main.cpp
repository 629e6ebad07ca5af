// Links against the installed libaiodata and shows a table in a QTableView.
#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QApplication>
#include <QJsonDocument>
#include <QTableView>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    Aiodata::Client client;
    const QJsonObject table = QJsonDocument::fromJson(
        R"({"name":"t","primaryKey":["id"],"columns":[{"name":"id","type":"integer","primaryKey":1}]})").object();
    Aiodata::TableModel model(Aiodata::TableSchema::fromJson(table));
    model.replaceRows(QJsonDocument::fromJson(R"([{"id":2},{"id":1}])").array());
    QTableView view;
    view.setModel(&model);
    // Sorted by key, read through the installed headers and library.
    const bool ok = client.status() == Aiodata::Client::Disconnected && model.rowCount() == 2
        && model.data(model.index(0, 0)).toInt() == 1;
    return ok ? 0 : 1;
}
