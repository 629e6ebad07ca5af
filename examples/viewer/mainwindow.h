#pragma once

#include "connectionsettings.h"

#include <Aiodata/client.h>

#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QProgressBar;
class QTabWidget;

namespace Aiodata {
class TableModel;
}

namespace Aiodata::Viewer {

class ErrorBanner;
class EventLog;
class TablePage;

// The viewer: one tab per table of the server, live; an event log dock; a
// status bar with the connection state, the current table's row count and
// the loading progress. Problems show in a banner, never in a modal box.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Drops the current connection (tabs included) and connects anew.
    void connectTo(const ConnectionSettings &settings);
    ConnectionSettings connectionSettings() const { return m_settings; }

    Client *client() const { return m_client; }
    QTabWidget *tabs() const { return m_tabs; }
    TablePage *page(const QString &table) const;
    TablePage *currentPage() const;
    EventLog *eventLog() const { return m_eventLog; }
    ErrorBanner *errorBanner() const { return m_banner; }
    QString errorText() const;             // the banner's text, empty when hidden
    QString connectionStateText() const;   // as the status bar shows it
    QString rowCountText() const;
    QProgressBar *progressBar() const { return m_progress; }
    QAction *connectAction() const { return m_connectAction; }
    QAction *addRowAction() const { return m_addRowAction; }
    QAction *deleteRowsAction() const { return m_deleteRowsAction; }

    static QString statusText(Client::Status status, const QUrl &url);

public Q_SLOTS:
    void showConnectDialog();  // non-modal: the window stays usable
    void addRow();             // for the current table, through AddRowDialog
    void deleteSelectedRows();
    void showError(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createStatusBar();
    void clearPages();
    // The server dropped the table (or changed its columns: a new page follows).
    void removePage(TableModel *model);
    void addPage(TableModel *model);
    void onStatusChanged();
    void onProgressChanged(qreal progress);
    void onClientError(Client::Error error, const QString &message);
    void onReady();
    void onEvent(const QString &action, const QString &table, const QVariantList &rows);
    void updateRowCount();
    void updateActions();
    void updateTitle();

    ConnectionSettings m_settings;
    Client *m_client = nullptr;
    QTabWidget *m_tabs;
    ErrorBanner *m_banner;
    bool m_bannerShowsConnectionError = false;
    EventLog *m_eventLog;
    QDockWidget *m_eventDock;
    QLabel *m_stateLabel;
    QLabel *m_rowsLabel;
    QProgressBar *m_progress;
    QAction *m_connectAction = nullptr;
    QAction *m_addRowAction = nullptr;
    QAction *m_deleteRowsAction = nullptr;
    QAction *m_findAction = nullptr;
    QPointer<QDialog> m_connectDialog;
};

} // namespace Aiodata::Viewer
