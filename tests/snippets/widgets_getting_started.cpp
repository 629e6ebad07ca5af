// The code of docs/getting-started-widgets.md, compiled and run by
// tst_snippets so the page cannot go stale.
#include "widgets_getting_started.h"

//! [snippet]
#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QLabel>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

QWidget *makePetsWindow(const QUrl &server, const QString &token)
{
    auto *window = new QWidget;
    auto *layout = new QVBoxLayout(window);
    auto *status = new QLabel(window);
    auto *view = new QTableView(window);
    layout->addWidget(view);
    layout->addWidget(status);

    // One client per server: it loads the schema and keeps every table live.
    auto *client = new Aiodata::Client(window);
    client->setUrl(server);
    client->setToken(token); // empty: read-only, as the server's anonymous role

    QObject::connect(client, &Aiodata::Client::statusChanged, status, [status](Aiodata::Client::Status s) {
        status->setText(QVariant::fromValue(s).toString());
    });
    QObject::connect(client, &Aiodata::Client::errorOccurred, status,
                     [status](Aiodata::Client::Error, const QString &message) { status->setText(message); });
    QObject::connect(client, &Aiodata::Client::ready, view, [client, view] {
        // A sortable view over the live model; edits go to the server.
        auto *sorted = new QSortFilterProxyModel(view);
        sorted->setSourceModel(client->table(QStringLiteral("pets")));
        view->setModel(sorted);
        view->setSortingEnabled(true);
    });
    client->start();
    return window;
}
//! [snippet]
