// The documented snippets, run against the real server.
#include "testdatabase.h"
#include "testserver.h"
#include "widgets_getting_started.h"

#include <QTableView>
#include <QtTest>
#include <QtWidgets>

class tst_Snippets : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void widgetsGettingStarted();
};

void tst_Snippets::widgetsGettingStarted()
{
    TestDatabase db(QStringLiteral("tst_snippets"));
    TestServer server;
    QString error;
    QVERIFY2(db.create(&error), qPrintable(error));
    QVERIFY(db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Dog', 'Pug', 'Bo', 1, false), ('Cat', 'Tabby', 'Tom', 2, true)")));
    QVERIFY2(server.start(db.authenticatorUri(), QString(), &error), qPrintable(error));

    std::unique_ptr<QWidget> window(makePetsWindow(server.url(), TestServer::token(QStringLiteral("auth"))));
    window->show();
    QTableView *view = window->findChild<QTableView *>();
    QVERIFY(view);
    QTRY_VERIFY_WITH_TIMEOUT(view->model() && view->model()->rowCount() == 2, 10000);
    // Live: a row written elsewhere shows up.
    QVERIFY(db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Fish', 'Koi', 'Aqui', 3, false)")));
    QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 3, 10000);
    QTRY_VERIFY(window->findChild<QLabel *>()->text() == QLatin1String("Ready"));
}

QTEST_MAIN(tst_Snippets)
#include "tst_snippets.moc"
