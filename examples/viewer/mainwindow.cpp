#include "mainwindow.h"

#include "addrowdialog.h"
#include "connectdialog.h"
#include "errorbanner.h"
#include "eventlog.h"
#include "rowhighlighter.h"
#include "tablepage.h"

#include <Aiodata/tablemodel.h>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QProgressBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace Aiodata::Viewer {

namespace {
constexpr int messageTimeout = 10000;
const char fittedProperty[] = "aiodataColumnsFitted";
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_tabs(new QTabWidget(this))
    , m_banner(new ErrorBanner(this))
    , m_eventLog(new EventLog(this))
    , m_eventDock(new QDockWidget(tr("Event Log"), this))
    , m_stateLabel(new QLabel(this))
    , m_rowsLabel(new QLabel(this))
    , m_progress(new QProgressBar(this))
{
    setObjectName(QStringLiteral("viewerWindow"));
    m_tabs->setObjectName(QStringLiteral("tables"));
    m_tabs->setDocumentMode(true);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        updateRowCount();
        updateActions();
    });

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_banner);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
    // Dismissing the banner also drops its copy in the status bar.
    connect(m_banner, &ErrorBanner::dismissed, statusBar(), &QStatusBar::clearMessage);

    m_eventDock->setObjectName(QStringLiteral("eventLogDock"));
    m_eventDock->setWidget(m_eventLog);
    addDockWidget(Qt::BottomDockWidgetArea, m_eventDock);
    // The tables get most of the height; the log is a glance.
    resizeDocks({m_eventDock}, {150}, Qt::Vertical);

    createActions();
    createStatusBar();
    resize(1000, 680);
    const QSettings settings(QStringLiteral("aiodata"), QStringLiteral("viewer"));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateTitle();
    onStatusChanged();
    updateActions();
}

MainWindow::~MainWindow()
{
    // Pages point into the client's models: they go first.
    clearPages();
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_connectAction = file->addAction(tr("&Connect…"), this, &MainWindow::showConnectDialog);
    m_connectAction->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_addRowAction = edit->addAction(tr("&Add Row…"), this, &MainWindow::addRow);
    m_addRowAction->setShortcut(QKeySequence::New);
    m_addRowAction->setToolTip(tr("Add a row to the current table"));
    m_deleteRowsAction = edit->addAction(tr("&Delete Selected Rows"), this, &MainWindow::deleteSelectedRows);
    m_deleteRowsAction->setShortcut(QKeySequence::Delete);
    m_deleteRowsAction->setToolTip(tr("Delete the selected rows from the database"));
    edit->addSeparator();
    m_findAction = edit->addAction(tr("&Filter Rows"), this, [this] {
        if (TablePage *p = currentPage()) {
            p->filterEdit()->setFocus();
            p->filterEdit()->selectAll();
        }
    });
    m_findAction->setShortcut(QKeySequence::Find);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_eventDock->toggleViewAction());
    view->addAction(tr("&Clear Event Log"), m_eventLog, &QTreeWidget::clear);

    QToolBar *toolBar = addToolBar(tr("Main"));
    toolBar->setObjectName(QStringLiteral("mainToolBar"));
    toolBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolBar->addAction(m_connectAction);
    toolBar->addSeparator();
    toolBar->addAction(m_addRowAction);
    toolBar->addAction(m_deleteRowsAction);
}

void MainWindow::createStatusBar()
{
    m_stateLabel->setObjectName(QStringLiteral("connectionState"));
    m_rowsLabel->setObjectName(QStringLiteral("rowCount"));
    m_progress->setObjectName(QStringLiteral("loadProgress"));
    m_progress->setMaximumWidth(160);
    m_progress->setRange(0, 100);
    m_progress->setTextVisible(false);
    m_progress->hide();
    statusBar()->addPermanentWidget(m_rowsLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_stateLabel);
}

void MainWindow::connectTo(const ConnectionSettings &settings)
{
    clearPages();
    delete m_client;
    m_settings = settings;
    m_banner->dismiss();
    m_bannerShowsConnectionError = false;

    m_client = new Client(this);
    m_client->setUrl(settings.url);
    m_client->setToken(settings.effectiveToken());
    m_client->setCacheDirectory(settings.cacheDirectory);
    connect(m_client, &Client::fromCacheChanged, this, &MainWindow::onStatusChanged);
    connect(m_client, &Client::pendingWritesChanged, this, &MainWindow::onStatusChanged);
    connect(m_client, &Client::tableAdded, this, &MainWindow::addPage);
    connect(m_client, &Client::tableRemoved, this, &MainWindow::removePage);
    connect(m_client, &Client::statusChanged, this, &MainWindow::onStatusChanged);
    connect(m_client, &Client::progressChanged, this, &MainWindow::onProgressChanged);
    connect(m_client, &Client::errorOccurred, this, &MainWindow::onClientError);
    connect(m_client, &Client::ready, this, &MainWindow::onReady);
    connect(m_client, &Client::event, this, &MainWindow::onEvent);
    updateTitle();
    m_client->start();
    onStatusChanged();
}

void MainWindow::clearPages()
{
    while (m_tabs->count() > 0) {
        QWidget *page = m_tabs->widget(0);
        m_tabs->removeTab(0);
        delete page;
    }
}

TablePage *MainWindow::page(const QString &table) const
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *p = qobject_cast<TablePage *>(m_tabs->widget(i));
        if (p && p->model()->name() == table)
            return p;
    }
    return nullptr;
}

TablePage *MainWindow::currentPage() const
{
    return qobject_cast<TablePage *>(m_tabs->currentWidget());
}

void MainWindow::removePage(TableModel *model)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *p = qobject_cast<TablePage *>(m_tabs->widget(i));
        if (p && p->model() == model) {
            m_tabs->removeTab(i);
            delete p;
            break;
        }
    }
    updateRowCount();
    updateActions();
}

void MainWindow::addPage(TableModel *model)
{
    auto *p = new TablePage(model, m_tabs);
    const int index = m_tabs->addTab(p, model->name());
    if (!model->schema().comment.isEmpty())
        m_tabs->setTabToolTip(index, model->schema().comment);
    connect(p, &TablePage::errorOccurred, this, &MainWindow::showError);
    connect(p, &TablePage::rowCountsChanged, this, [this, p] {
        if (p == currentPage())
            updateRowCount();
    });
    connect(p, &TablePage::selectionChanged, this, [this, p] {
        if (p == currentPage())
            updateActions();
    });
    connect(model, &TableModel::privilegesChanged, this, [this, p] {
        if (p == currentPage())
            updateActions();
    });
    // Tables that show up after a reconnect are news from the start.
    p->highlighter()->setActive(m_client && m_client->status() == Client::Ready);
    updateRowCount();
    updateActions();
}

QString MainWindow::statusText(Client::Status status, const QUrl &url)
{
    const QString server = url.toDisplayString();
    switch (status) {
    case Client::Disconnected:
        return tr("Disconnected");
    case Client::Connecting:
        return tr("Connecting to %1…").arg(server);
    case Client::Loading:
        return tr("Loading tables from %1…").arg(server);
    case Client::Ready:
        return tr("Connected to %1").arg(server);
    case Client::Reconnecting:
        return tr("Connection to %1 lost; reconnecting…").arg(server);
    }
    return QString();
}

QString MainWindow::connectionStateText() const
{
    return m_stateLabel->text();
}

QString MainWindow::rowCountText() const
{
    return m_rowsLabel->text();
}

QString MainWindow::errorText() const
{
    return m_banner->text();
}

void MainWindow::onStatusChanged()
{
    const Client::Status status = m_client ? m_client->status() : Client::Disconnected;
    QString text = statusText(status, m_settings.url);
    if (m_client && m_client->isFromCache())
        text = tr("%1 — showing the offline copy").arg(text);
    if (m_client && m_client->pendingWrites() > 0)
        text = tr("%1 — %n change(s) not yet sent", nullptr, m_client->pendingWrites()).arg(text);
    if (m_client && m_settings.readOnly)
        text = tr("%1 (read only)").arg(text);
    if (!m_client)
        text = tr("Not connected: choose File › Connect…");
    m_stateLabel->setText(text);
    // Green when live, amber while on the way, red when stopped.
    const char *color = status == Client::Ready ? "#1d7a33" : status == Client::Disconnected ? "#a3261b" : "#9a6700";
    m_stateLabel->setStyleSheet(QStringLiteral("QLabel { color: %1; padding: 0 6px; }").arg(QLatin1String(color)));

    const bool busy = status == Client::Connecting || status == Client::Loading || status == Client::Reconnecting;
    m_progress->setVisible(busy);
    if (status == Client::Loading)
        onProgressChanged(m_client->progress());
    else if (busy)
        m_progress->setRange(0, 0); // busy: no progress to tell yet
}

void MainWindow::onProgressChanged(qreal progress)
{
    if (!m_client || m_client->status() != Client::Loading)
        return;
    m_progress->setRange(0, 100);
    m_progress->setValue(qRound(progress * 100));
}

void MainWindow::onClientError(Client::Error error, const QString &message)
{
    QString text;
    switch (error) {
    case Client::AuthenticationError:
        text = tr("The server refused the token. %1\nChoose File › Connect… to enter another token or to connect read only.")
                   .arg(message);
        break;
    case Client::ConnectionError:
        text = tr("No connection to the server. %1\nRetrying…").arg(message);
        break;
    case Client::NoError:
        return;
    default:
        text = tr("The server reported a problem. %1").arg(message);
        break;
    }
    showError(text);
    m_bannerShowsConnectionError = true;
}

void MainWindow::onReady()
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *p = qobject_cast<TablePage *>(m_tabs->widget(i));
        if (!p)
            continue;
        p->highlighter()->setActive(true);
        if (!p->property(fittedProperty).toBool()) {
            p->fitColumns();
            p->setProperty(fittedProperty, true);
        }
    }
    if (m_bannerShowsConnectionError) {
        m_banner->dismiss();
        m_bannerShowsConnectionError = false;
    }
    statusBar()->showMessage(tr("All tables loaded."), 3000);
    updateRowCount();
    updateActions();
}

void MainWindow::onEvent(const QString &action, const QString &table, const QVariantList &rows)
{
    TableModel *model = m_client ? m_client->table(table) : nullptr;
    m_eventLog->addEvent(action, table, rows, model ? model->primaryKey() : QStringList());
}

void MainWindow::showError(const QString &message)
{
    m_bannerShowsConnectionError = false;
    m_banner->showMessage(message);
    // The status bar keeps a one-line copy, for when the banner is dismissed.
    statusBar()->showMessage(QString(message).replace(QLatin1Char('\n'), QLatin1Char(' ')), messageTimeout);
}

void MainWindow::updateRowCount()
{
    TablePage *p = currentPage();
    if (!p) {
        m_rowsLabel->clear();
        return;
    }
    const int total = p->totalRowCount();
    const int shown = p->visibleRowCount();
    const QString name = p->model()->name();
    // One row gets its own string: the English source has no plural forms.
    if (shown == total)
        m_rowsLabel->setText(total == 1 ? tr("%1: 1 row").arg(name) : tr("%1: %n rows", "", total).arg(name));
    else if (total == 1)
        m_rowsLabel->setText(tr("%1: %2 of 1 row shown").arg(name, QString::number(shown)));
    else
        m_rowsLabel->setText(tr("%1: %2 of %n rows shown", "", total).arg(name, QString::number(shown)));
}

void MainWindow::updateActions()
{
    TablePage *p = currentPage();
    const TableSchema *schema = p ? &p->model()->schema() : nullptr;
    m_addRowAction->setEnabled(schema && schema->canInsert);
    const bool selected = p && p->view()->selectionModel() && p->view()->selectionModel()->hasSelection();
    m_deleteRowsAction->setEnabled(schema && schema->canDelete && selected);
    m_findAction->setEnabled(p != nullptr);
}

void MainWindow::updateTitle()
{
    if (!m_client) {
        setWindowTitle(tr("aiodata viewer"));
        return;
    }
    const QString server = m_settings.url.toDisplayString();
    setWindowTitle(m_settings.readOnly ? tr("%1 (read only) – aiodata viewer").arg(server)
                                       : tr("%1 – aiodata viewer").arg(server));
}

void MainWindow::showConnectDialog()
{
    if (m_connectDialog) {
        m_connectDialog->raise();
        m_connectDialog->activateWindow();
        return;
    }
    ConnectionSettings initial = ConnectionSettings::load();
    if (m_client) {
        // Start from the connection in use; keep a token only if it was remembered anyway.
        initial.url = m_settings.url;
        initial.readOnly = m_settings.readOnly;
    }
    auto *dialog = new ConnectDialog(initial, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { connectTo(dialog->settings()); });
    m_connectDialog = dialog;
    dialog->open();
}

void MainWindow::addRow()
{
    TablePage *p = currentPage();
    if (!p)
        return;
    auto *dialog = new AddRowDialog(p->model()->schema(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    // The page may go away (reconnect) while the dialog is open.
    connect(dialog, &QDialog::accepted, p, [p, dialog] { p->createRow(dialog->row()); });
    dialog->open();
}

void MainWindow::deleteSelectedRows()
{
    if (TablePage *p = currentPage()) {
        const int count = p->deleteSelectedRows();
        if (count > 0)
            statusBar()->showMessage(count == 1 ? tr("Deleting 1 row…") : tr("Deleting %n rows…", "", count), 3000);
    }
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings(QStringLiteral("aiodata"), QStringLiteral("viewer"));
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

} // namespace Aiodata::Viewer
