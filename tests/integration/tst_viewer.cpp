// The example viewer (examples/viewer) driven in-process against the real
// server: live rows, edits through the view's model and the cell editor,
// rows from elsewhere appearing highlighted, the add-row dialog, deleting,
// refused writes and connection problems shown in the window, remembered
// connection settings, and the German/French user interface.

#include "testdatabase.h"
#include "testserver.h"

#include <addrowdialog.h>
#include <celldelegate.h>
#include <commandline.h>
#include <connectdialog.h>
#include <errorbanner.h>
#include <eventlog.h>
#include <mainwindow.h>
#include <rowhighlighter.h>
#include <tablepage.h>
#include <translations.h>

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QJsonObject>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace Aiodata;
using namespace Aiodata::Viewer;

// Reads what the cell delegate would paint.
class DelegateProbe : public CellDelegate
{
public:
    using CellDelegate::CellDelegate;
    QStyleOptionViewItem optionFor(const QModelIndex &index) const
    {
        QStyleOptionViewItem option;
        initStyleOption(&option, index);
        return option;
    }
};

class tst_Viewer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void commandLine();
    void connectDialogRemembers();
    void showsEditsAndFollowsPets();
    void refusedEditShowsError();
    void readOnlyRefusesWrites();
    void badTokenShowsError();
    void lostConnectionShowsState();
    void opensTheOfflineCopy();
    void tabsFollowSchemaReloads();
    // Last: translators stay installed once loaded.
    void translatedUi_data();
    void translatedUi();

private:
    ConnectionSettings authSettings() const;
    // The page for pets once the window is Ready with `rows` rows; null on timeout.
    TablePage *waitForPets(MainWindow &window, int rows);
    static int rowOf(TablePage *page, const QString &name);
    int dbColor(const QString &name) const;
    int dbCount() const;
    static void saveScreenshot(QWidget *widget, const QString &name);

    TestDatabase m_db{QStringLiteral("tst_viewer")};
    TestServer m_server;
    QTemporaryDir m_settingsDir;
};

void tst_Viewer::initTestCase()
{
    // Never touch the user's own viewer settings.
    QVERIFY(m_settingsDir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error, TestServer::freePort()), qPrintable(error));
}

void tst_Viewer::init()
{
    QVERIFY(m_db.exec(QStringLiteral("GRANT ALL ON api.pets TO auth; TRUNCATE api.pets; INSERT INTO api.pets VALUES "
                                     "('Dog', 'Beagle', 'Rex', 1, false), ('Cat', 'Tabby', 'Tom', 2, true), "
                                     "('Dog', 'Poodle', 'Bella', NULL, true)")));
    if (!m_server.isRunning()) {
        QString error;
        QVERIFY2(m_server.restart(&error), qPrintable(error));
    }
}

ConnectionSettings tst_Viewer::authSettings() const
{
    ConnectionSettings s;
    s.url = m_server.url();
    s.token = TestServer::token(QStringLiteral("auth"));
    return s;
}

TablePage *tst_Viewer::waitForPets(MainWindow &window, int rows)
{
    const bool ok = QTest::qWaitFor([&] {
        TablePage *page = window.page(QStringLiteral("pets"));
        return page && window.client()->status() == Client::Ready && page->view()->model()->rowCount() == rows;
    }, 10000);
    return ok ? window.page(QStringLiteral("pets")) : nullptr;
}

int tst_Viewer::rowOf(TablePage *page, const QString &name)
{
    const QAbstractItemModel *model = page->view()->model();
    const int column = page->model()->schema().columnIndex(QStringLiteral("name"));
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, column).data().toString() == name)
            return row;
    }
    return -1;
}

int tst_Viewer::dbColor(const QString &name) const
{
    const QJsonArray rows = m_db.rows(QStringLiteral("SELECT color FROM api.pets WHERE name = '%1'").arg(name));
    return rows.isEmpty() ? -1 : rows.at(0).toObject().value(QLatin1String("color")).toInt(-1);
}

int tst_Viewer::dbCount() const
{
    return m_db.rows(QStringLiteral("SELECT count(*) AS n FROM api.pets")).at(0).toObject().value(QLatin1String("n")).toInt(-1);
}

// Into <build>/screenshots, to look at after a run.
void tst_Viewer::saveScreenshot(QWidget *widget, const QString &name)
{
    const QString shots = QCoreApplication::applicationDirPath() + QStringLiteral("/../screenshots");
    QVERIFY(QDir().mkpath(shots));
    const QImage shot = widget->grab().toImage();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(shots + QLatin1Char('/') + name));
}

void tst_Viewer::commandLine()
{
    CommandLine readOnly;
    QVERIFY(readOnly.parse({QStringLiteral("viewer"), QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:4100"),
                            QStringLiteral("--read-only"), QStringLiteral("--lang"), QStringLiteral("fr")}));
    QVERIFY(readOnly.connectsDirectly());
    QCOMPARE(readOnly.locale().language(), QLocale::French);
    ConnectionSettings s = readOnly.settings();
    QCOMPARE(s.url, QUrl(QStringLiteral("http://127.0.0.1:4100")));
    QVERIFY(s.readOnly);
    QVERIFY(s.effectiveToken().isEmpty());
    QVERIFY(s.cacheDirectory.isEmpty());

    CommandLine cached;
    QVERIFY(cached.parse({QStringLiteral("viewer"), QStringLiteral("--cache"), QStringLiteral("/tmp/c")}));
    QCOMPARE(cached.settings().cacheDirectory, QStringLiteral("/tmp/c"));

    CommandLine withToken;
    ConnectionSettings remembered;
    remembered.token = QStringLiteral("remembered");
    remembered.rememberToken = true;
    QVERIFY(withToken.parse({QStringLiteral("viewer"), QStringLiteral("--token"), QStringLiteral("abc"),
                             QStringLiteral("--url"), QStringLiteral("localhost:4000")}));
    QVERIFY(withToken.connectsDirectly());
    s = withToken.settings(remembered);
    QCOMPARE(s.url.host(), QStringLiteral("localhost"));
    QCOMPARE(s.effectiveToken(), QStringLiteral("abc"));
    QVERIFY(!s.rememberToken); // a command-line token is not stored

    // A URL alone is not enough to connect: the dialog asks for a token.
    CommandLine urlOnly;
    QVERIFY(urlOnly.parse({QStringLiteral("viewer"), QStringLiteral("--url"), QStringLiteral("http://h:1")}));
    QVERIFY(!urlOnly.connectsDirectly());

    CommandLine bad;
    QVERIFY(!bad.parse({QStringLiteral("viewer"), QStringLiteral("--bogus"), QStringLiteral("--lang"), QStringLiteral("de")}));
    QVERIFY(bad.errorText().contains(QLatin1String("bogus")));
    // The error can still be told in the language asked for.
    QCOMPARE(bad.locale().language(), QLocale::German);
}

void tst_Viewer::connectDialogRemembers()
{
    const QString token = QStringLiteral("secret-token-value");
    {
        ConnectDialog dialog{ConnectionSettings()};
        dialog.urlEdit()->clear();
        QVERIFY(!dialog.isComplete());
        dialog.accept(); // refused while incomplete
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        dialog.urlEdit()->setText(QStringLiteral("http://example.test:4100"));
        QVERIFY(!dialog.isComplete()); // no token and not read only
        dialog.tokenEdit()->setText(token);
        QVERIFY(dialog.isComplete());
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    ConnectionSettings loaded = ConnectionSettings::load();
    QCOMPARE(loaded.url, QUrl(QStringLiteral("http://example.test:4100")));
    QVERIFY(!loaded.readOnly);
    QVERIFY(loaded.token.isEmpty());
    {
        // The token is nowhere in the settings unless asked for.
        const QSettings settings(QStringLiteral("aiodata"), QStringLiteral("viewer"));
        const QStringList keys = settings.allKeys();
        QVERIFY(!keys.isEmpty());
        for (const QString &key : keys)
            QVERIFY2(!settings.value(key).toString().contains(token), qPrintable(key));
    }
    {
        ConnectDialog dialog; // starts from the remembered settings
        QCOMPARE(dialog.urlEdit()->text(), QStringLiteral("http://example.test:4100"));
        QVERIFY(dialog.tokenEdit()->text().isEmpty());
        dialog.tokenEdit()->setText(token);
        dialog.rememberTokenBox()->setChecked(true);
        dialog.accept();
    }
    loaded = ConnectionSettings::load();
    QCOMPARE(loaded.token, token);
    {
        ConnectDialog dialog;
        QCOMPARE(dialog.tokenEdit()->text(), token);
        dialog.readOnlyBox()->setChecked(true);
        QVERIFY(!dialog.tokenEdit()->isEnabled());
        QVERIFY(dialog.settings().effectiveToken().isEmpty());
        dialog.accept();
    }
    loaded = ConnectionSettings::load();
    QVERIFY(loaded.readOnly);
    QVERIFY(loaded.token.isEmpty()); // read only drops the stored token
}

void tst_Viewer::showsEditsAndFollowsPets()
{
    MainWindow window;
    window.resize(1100, 720);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.connectTo(authSettings());

    QTRY_VERIFY_WITH_TIMEOUT(window.page(QStringLiteral("pets")), 10000);
    TablePage *pets = window.page(QStringLiteral("pets"));
    QAbstractItemModel *proxy = pets->view()->model();
    QCOMPARE(proxy, pets->proxyModel());
    QAbstractItemModelTester tester(proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE_WITH_TIMEOUT(proxy->rowCount(), 3, 10000);
    QTRY_COMPARE(window.client()->status(), Client::Ready);

    // Status bar: state in words, row count, no progress bar once loaded.
    QCOMPARE(window.connectionStateText(), MainWindow::statusText(Client::Ready, m_server.url()));
    QVERIFY2(window.rowCountText().contains(QLatin1String("3")), qPrintable(window.rowCountText()));
    QVERIFY(window.progressBar()->isHidden());
    QVERIFY(window.errorText().isEmpty());
    QCOMPARE(window.tabs()->tabText(window.tabs()->indexOf(pets)), QStringLiteral("pets"));
    QCOMPARE(proxy->columnCount(), 5);
    QCOMPARE(proxy->headerData(0, Qt::Horizontal).toString(), QStringLiteral("type"));
    // NULL is shown as such (Bella has no colour), set apart from text.
    const DelegateProbe probe(pets->model()->schema());
    const int colorColumn = pets->model()->schema().columnIndex(QStringLiteral("color"));
    const QStyleOptionViewItem nullCell = probe.optionFor(proxy->index(rowOf(pets, QStringLiteral("Bella")), colorColumn));
    QCOMPARE(nullCell.text, QStringLiteral("NULL"));
    QVERIFY(nullCell.font.italic());
    const QStyleOptionViewItem numberCell = probe.optionFor(proxy->index(rowOf(pets, QStringLiteral("Rex")), colorColumn));
    QCOMPARE(numberCell.text, QStringLiteral("1"));
    QVERIFY(!numberCell.font.italic());
    // Rows of the first load are not news: no highlight.
    for (int row = 0; row < proxy->rowCount(); ++row)
        QVERIFY(!proxy->index(row, 0).data(Qt::BackgroundRole).isValid());

    // An edit through the view's model reaches PostgreSQL and comes back.
    QModelIndex rexColor = proxy->index(rowOf(pets, QStringLiteral("Rex")), colorColumn);
    QVERIFY(proxy->flags(rexColor) & Qt::ItemIsEditable);
    QVERIFY(proxy->setData(rexColor, 42));
    QTRY_COMPARE(dbColor(QStringLiteral("Rex")), 42);
    QTRY_COMPARE(proxy->index(rowOf(pets, QStringLiteral("Rex")), colorColumn).data().toInt(), 42);
    // The changed row lights up, the event is logged, the light fades.
    const int rex = rowOf(pets, QStringLiteral("Rex"));
    QVERIFY(proxy->index(rex, 0).data(Qt::BackgroundRole).isValid());
    QVERIFY(!proxy->index(rowOf(pets, QStringLiteral("Tom")), 0).data(Qt::BackgroundRole).isValid());
    QTRY_COMPARE(window.eventLog()->topLevelItemCount(), 1);
    QTreeWidgetItem *event = window.eventLog()->topLevelItem(0);
    QCOMPARE(event->data(EventLog::ActionColumn, EventLog::ActionRole).toString(), QStringLiteral("update"));
    QCOMPARE(event->text(EventLog::TableColumn), QStringLiteral("pets"));
    QCOMPARE(event->text(EventLog::KeysColumn), QStringLiteral("Dog / Beagle / Rex"));
    QTRY_VERIFY_WITH_TIMEOUT(!proxy->index(rowOf(pets, QStringLiteral("Rex")), 0).data(Qt::BackgroundRole).isValid(), 4000);

    // Typing into the cell editor: text that is no number is refused in the
    // UI and never sent; a number is written.
    QModelIndex tomColor = proxy->index(rowOf(pets, QStringLiteral("Tom")), colorColumn);
    pets->view()->edit(tomColor);
    auto *editor = qobject_cast<QLineEdit *>(pets->view()->indexWidget(tomColor));
    QVERIFY(editor);
    QCOMPARE(editor->text(), QStringLiteral("2"));
    editor->setText(QStringLiteral("green"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_VERIFY(window.errorText().contains(QLatin1String("color")));
    QCOMPARE(dbColor(QStringLiteral("Tom")), 2);
    window.errorBanner()->dismiss();
    tomColor = proxy->index(rowOf(pets, QStringLiteral("Tom")), colorColumn);
    pets->view()->edit(tomColor);
    editor = qobject_cast<QLineEdit *>(pets->view()->indexWidget(tomColor));
    QVERIFY(editor);
    editor->setText(QStringLiteral("7"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_COMPARE(dbColor(QStringLiteral("Tom")), 7);
    QTRY_COMPARE(proxy->index(rowOf(pets, QStringLiteral("Tom")), colorColumn).data().toInt(), 7);
    QVERIFY(window.errorText().isEmpty());

    // A row written by someone else appears, highlighted.
    Client writer;
    writer.setUrl(m_server.url());
    writer.setToken(TestServer::token(QStringLiteral("auth")));
    QSignalSpy writerReady(&writer, &Client::ready);
    writer.start();
    QVERIFY(writerReady.wait(10000));
    TableModel *writerPets = writer.table(QStringLiteral("pets"));
    writerPets->create(writerPets->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Aqui")},
                                           {{QStringLiteral("color"), 5}}));
    QTRY_COMPARE(proxy->rowCount(), 4);
    QVERIFY(rowOf(pets, QStringLiteral("Aqui")) >= 0);
    QVERIFY(proxy->index(rowOf(pets, QStringLiteral("Aqui")), 0).data(Qt::BackgroundRole).isValid());
    QTRY_COMPARE(window.eventLog()->topLevelItem(0)->data(EventLog::ActionColumn, EventLog::ActionRole).toString(),
                 QStringLiteral("create"));
    QCOMPARE(window.eventLog()->topLevelItem(0)->text(EventLog::KeysColumn), QStringLiteral("Fish / Koi / Aqui"));
    QVERIFY(window.rowCountText().contains(QLatin1String("4")));

    // The filter matches any column, case-insensitively; the count says so.
    pets->setFilterText(QStringLiteral("koi"));
    QCOMPARE(proxy->rowCount(), 1);
    QCOMPARE(proxy->index(0, pets->model()->schema().columnIndex(QStringLiteral("name"))).data().toString(),
             QStringLiteral("Aqui"));
    QVERIFY2(window.rowCountText().contains(QLatin1String("1")) && window.rowCountText().contains(QLatin1String("4")),
             qPrintable(window.rowCountText()));
    pets->setFilterText(QString());
    QCOMPARE(proxy->rowCount(), 4);

    // Sorting by a column through the header, and back to key order.
    const int nameColumn = pets->model()->schema().columnIndex(QStringLiteral("name"));
    pets->view()->sortByColumn(nameColumn, Qt::AscendingOrder);
    QCOMPARE(proxy->index(0, nameColumn).data().toString(), QStringLiteral("Aqui"));
    QCOMPARE(proxy->index(3, nameColumn).data().toString(), QStringLiteral("Tom"));
    pets->view()->sortByColumn(-1, Qt::AscendingOrder);
    // Key order (type, breed, name): the cat first, the fish last.
    QCOMPARE(proxy->index(0, nameColumn).data().toString(), QStringLiteral("Tom"));
    QCOMPARE(proxy->index(3, nameColumn).data().toString(), QStringLiteral("Aqui"));

    // Adding a row through the dialog: OK only with the key filled in and valid values.
    QVERIFY(window.addRowAction()->isEnabled());
    window.addRowAction()->trigger();
    auto *dialog = window.findChild<AddRowDialog *>();
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    QVERIFY(!dialog->okButton()->isEnabled());
    dialog->field(QStringLiteral("type"))->setText(QStringLiteral("Bird"));
    dialog->field(QStringLiteral("breed"))->setText(QStringLiteral("Parrot"));
    QVERIFY(!dialog->okButton()->isEnabled()); // name is part of the key
    dialog->field(QStringLiteral("name"))->setText(QStringLiteral("Polly"));
    QVERIFY(dialog->okButton()->isEnabled());
    dialog->field(QStringLiteral("color"))->setText(QStringLiteral("red"));
    QVERIFY(!dialog->okButton()->isEnabled());
    QVERIFY(dialog->problem().contains(QLatin1String("color")));
    dialog->field(QStringLiteral("color"))->setText(QStringLiteral("3"));
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_COMPARE(dbColor(QStringLiteral("Polly")), 3);
    // groomed was left empty: the column default applied.
    QCOMPARE(m_db.rows(QStringLiteral("SELECT groomed FROM api.pets WHERE name = 'Polly'")).at(0).toObject()
                 .value(QLatin1String("groomed")).toBool(true), false);
    QTRY_COMPARE(proxy->rowCount(), 5);
    QVERIFY(proxy->index(rowOf(pets, QStringLiteral("Polly")), 0).data(Qt::BackgroundRole).isValid());

    // The screenshot: live rows, a highlighted one, the event log.
    QTest::qWait(200);
    saveScreenshot(&window, QStringLiteral("viewer.png"));
    if (QTest::currentTestFailed())
        return;

    // Deleting the selected rows, by their full keys.
    QVERIFY(!window.deleteRowsAction()->isEnabled()); // nothing selected
    QItemSelectionModel *selection = pets->view()->selectionModel();
    selection->select(proxy->index(rowOf(pets, QStringLiteral("Aqui")), 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    selection->select(proxy->index(rowOf(pets, QStringLiteral("Polly")), 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QVERIFY(window.deleteRowsAction()->isEnabled());
    window.deleteRowsAction()->trigger();
    QTRY_COMPARE(dbCount(), 3);
    QTRY_COMPARE(proxy->rowCount(), 3);
    QCOMPARE(rowOf(pets, QStringLiteral("Aqui")), -1);
    QCOMPARE(rowOf(pets, QStringLiteral("Polly")), -1);
    QVERIFY(rowOf(pets, QStringLiteral("Rex")) >= 0);
    QVERIFY(window.errorText().isEmpty());
}

void tst_Viewer::refusedEditShowsError()
{
    MainWindow window;
    window.connectTo(authSettings());
    TablePage *pets = waitForPets(window, 3);
    QVERIFY(pets);
    // The schema said the role may update; the database now says no.
    QVERIFY(m_db.exec(QStringLiteral("REVOKE UPDATE ON api.pets FROM auth")));
    QAbstractItemModel *proxy = pets->view()->model();
    const int colorColumn = pets->model()->schema().columnIndex(QStringLiteral("color"));
    const QModelIndex cell = proxy->index(rowOf(pets, QStringLiteral("Rex")), colorColumn);
    QVERIFY(proxy->setData(cell, 99));
    QTRY_VERIFY(!window.errorText().isEmpty());
    QVERIFY2(window.errorText().contains(QLatin1String("pets")), qPrintable(window.errorText()));
    QVERIFY(!window.errorBanner()->isHidden());
    QCOMPARE(dbColor(QStringLiteral("Rex")), 1);
    QCOMPARE(proxy->index(rowOf(pets, QStringLiteral("Rex")), colorColumn).data().toInt(), 1);
    // Nothing changed, so nothing lights up.
    QVERIFY(!proxy->index(rowOf(pets, QStringLiteral("Rex")), 0).data(Qt::BackgroundRole).isValid());
    window.resize(900, 500);
    saveScreenshot(&window, QStringLiteral("viewer-refused.png"));
    // Dismissed, it goes away; the connection is unharmed.
    window.errorBanner()->dismiss();
    QVERIFY(window.errorText().isEmpty());
    QCOMPARE(window.client()->status(), Client::Ready);
}

void tst_Viewer::readOnlyRefusesWrites()
{
    MainWindow window;
    ConnectionSettings settings = authSettings();
    settings.readOnly = true; // the token is not sent
    window.connectTo(settings);
    TablePage *pets = waitForPets(window, 3);
    QVERIFY(pets);
    QVERIFY(window.client()->token().isEmpty());
    QVERIFY(window.windowTitle().contains(m_server.url().toDisplayString()));
    QVERIFY(window.connectionStateText() != MainWindow::statusText(Client::Ready, m_server.url())); // says read only

    QAbstractItemModel *proxy = pets->view()->model();
    const QModelIndex cell = proxy->index(0, pets->model()->schema().columnIndex(QStringLiteral("color")));
    QVERIFY(!(proxy->flags(cell) & Qt::ItemIsEditable));
    QVERIFY(!proxy->setData(cell, 5));
    QVERIFY(!window.addRowAction()->isEnabled());
    pets->view()->selectRow(0);
    QVERIFY(!window.deleteRowsAction()->isEnabled());
    // Past the disabled action, the server still refuses, and the UI says so.
    QCOMPARE(pets->deleteSelectedRows(), 1);
    QTRY_VERIFY(!window.errorText().isEmpty());
    QVERIFY2(window.errorText().contains(QLatin1String("pets")), qPrintable(window.errorText()));
    QCOMPARE(dbCount(), 3);
    QCOMPARE(proxy->rowCount(), 3);
}

void tst_Viewer::badTokenShowsError()
{
    MainWindow window;
    ConnectionSettings settings = authSettings();
    settings.token = QStringLiteral("not-a-token");
    window.connectTo(settings);
    QTRY_VERIFY_WITH_TIMEOUT(!window.errorText().isEmpty(), 5000);
    QTRY_COMPARE(window.client()->status(), Client::Disconnected);
    QCOMPARE(window.connectionStateText(), MainWindow::statusText(Client::Disconnected, m_server.url()));
    QVERIFY(window.progressBar()->isHidden());
    QCOMPARE(window.tabs()->count(), 0);
    // Connecting again with a good token clears the banner and loads.
    window.connectTo(authSettings());
    QVERIFY(window.errorText().isEmpty());
    QVERIFY(waitForPets(window, 3));
}

void tst_Viewer::lostConnectionShowsState()
{
    MainWindow window;
    window.connectTo(authSettings());
    TablePage *pets = waitForPets(window, 3);
    QVERIFY(pets);

    m_server.stop();
    QTRY_COMPARE_WITH_TIMEOUT(window.client()->status(), Client::Reconnecting, 5000);
    QTRY_VERIFY(!window.errorText().isEmpty());
    QCOMPARE(window.connectionStateText(), MainWindow::statusText(Client::Reconnecting, m_server.url()));
    QVERIFY(!window.progressBar()->isHidden());
    // The cached rows stay visible meanwhile.
    QCOMPARE(pets->view()->model()->rowCount(), 3);

    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(window.client()->status(), Client::Ready, 20000);
    QTRY_VERIFY(window.errorText().isEmpty()); // recovered: the banner goes
    QVERIFY(window.progressBar()->isHidden());
}

// --cache: the next start shows the tables before (and without) the server,
// and says so in the status bar.
void tst_Viewer::opensTheOfflineCopy()
{
    QTemporaryDir cache;
    ConnectionSettings settings = authSettings();
    settings.cacheDirectory = cache.path();
    {
        MainWindow window;
        window.connectTo(settings);
        QVERIFY(waitForPets(window, 3));
    } // the client writes its cache as it goes
    m_server.stop();

    MainWindow window;
    window.connectTo(settings);
    QTRY_VERIFY_WITH_TIMEOUT(window.page(QStringLiteral("pets")), 5000);
    TablePage *pets = window.page(QStringLiteral("pets"));
    QCOMPARE(pets->view()->model()->rowCount(), 3);
    QVERIFY(window.client()->isFromCache());
    QVERIFY2(window.connectionStateText().endsWith(QStringLiteral(" — showing the offline copy")), qPrintable(window.connectionStateText()));
    // A write made offline is journaled, said in the status bar, and sent once the server is back.
    window.client()->table(QStringLiteral("pets"))->remove({QStringLiteral("Dog"), QStringLiteral("Beagle"), QStringLiteral("Rex")});
    QVERIFY2(window.connectionStateText().endsWith(QStringLiteral(" — showing the offline copy — 1 change(s) not yet sent")),
             qPrintable(window.connectionStateText()));

    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(window.client()->status(), Client::Ready, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(window.connectionStateText(), MainWindow::statusText(Client::Ready, m_server.url()), 10000);
    QCOMPARE(pets->view()->model()->rowCount(), 2);
    QCOMPARE(dbCount(), 2);
}

// A table created or dropped while the viewer runs (then NOTIFY pgrst)
// gains or loses its tab; the other tabs keep working.
void tst_Viewer::tabsFollowSchemaReloads()
{
    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE IF EXISTS api.visits")));
    MainWindow window;
    window.connectTo(authSettings());
    TablePage *pets = waitForPets(window, 3);
    QVERIFY(pets);
    QVERIFY(!window.page(QStringLiteral("visits")));

    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.visits (id int PRIMARY KEY, pet text);"
                                     "GRANT ALL ON api.visits TO auth; INSERT INTO api.visits VALUES (1, 'Rex');"
                                     "NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(window.page(QStringLiteral("visits")), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(window.page(QStringLiteral("visits"))->view()->model()->rowCount(), 1, 10000);
    saveScreenshot(&window, QStringLiteral("viewer-table-added.png"));

    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE api.visits; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(!window.page(QStringLiteral("visits")), 10000);
    // The pets tab still follows its table.
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Fish', 'Koi', 'Nemo', 3, false)")));
    QTRY_COMPARE_WITH_TIMEOUT(window.page(QStringLiteral("pets"))->view()->model()->rowCount(), 4, 10000);
}

void tst_Viewer::translatedUi_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("addRow");
    QTest::addColumn<QString>("connected");
    QTest::addColumn<QString>("notConnected"); // the library's own string
    QTest::addColumn<QString>("yes");          // a boolean cell

    // German as the system-wide default locale, French through --lang.
    QTest::newRow("de (locale)") << QStringList{QStringLiteral("viewer")} << QStringLiteral("&Zeile hinzufügen…")
                                 << QStringLiteral("Verbunden mit %1") << QStringLiteral("Nicht verbunden")
                                 << QStringLiteral("wahr");
    QTest::newRow("fr (--lang)") << QStringList{QStringLiteral("viewer"), QStringLiteral("--lang"), QStringLiteral("fr")}
                                 << QStringLiteral("&Ajouter une ligne…") << QStringLiteral("Connecté à %1")
                                 << QStringLiteral("Non connecté") << QStringLiteral("vrai");
}

void tst_Viewer::translatedUi()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, addRow);
    QFETCH(QString, connected);
    QFETCH(QString, notConnected);
    QFETCH(QString, yes);

    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    CommandLine commandLine;
    QVERIFY(commandLine.parse(arguments));
    // As main() does: --lang wins over the locale.
    const QLocale locale = commandLine.hasLanguage() ? commandLine.locale() : QLocale();
    QVERIFY(installTranslations(locale));

    MainWindow window;
    QCOMPARE(window.addRowAction()->text(), addRow);
    QCOMPARE(QCoreApplication::translate("Aiodata::TableModel", "Not connected"), notConnected);
    window.connectTo(authSettings());
    QVERIFY(waitForPets(window, 3));
    QCOMPARE(window.connectionStateText(), connected.arg(m_server.url().toDisplayString()));
    TablePage *pets = window.page(QStringLiteral("pets"));
    const DelegateProbe probe(pets->model()->schema());
    const QModelIndex tomGroomed = pets->view()->model()->index(
        rowOf(pets, QStringLiteral("Tom")), pets->model()->schema().columnIndex(QStringLiteral("groomed")));
    QCOMPARE(probe.optionFor(tomGroomed).text, yes);
    window.resize(900, 500);
    saveScreenshot(&window, QStringLiteral("viewer-%1.png").arg(locale.name().left(2)));
}

QTEST_MAIN(tst_Viewer)
#include "tst_viewer.moc"
