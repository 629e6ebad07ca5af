// The library's strings reach users translated: German and French ship.

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QJsonDocument>
#include <QSignalSpy>
#include <QtTest>

class tst_Translations : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void notConnected_data();
    void notConnected();
    void unknownLanguage();
};

void tst_Translations::notConnected_data()
{
    QTest::addColumn<QString>("locale");
    QTest::addColumn<QString>("expected");
    QTest::newRow("de") << QStringLiteral("de_DE") << QStringLiteral("Nicht verbunden");
    QTest::newRow("fr") << QStringLiteral("fr_FR") << QStringLiteral("Non connecté");
}

void tst_Translations::notConnected()
{
    QFETCH(QString, locale);
    QFETCH(QString, expected);
    QVERIFY(Aiodata::Client::installTranslator(QLocale(locale)));
    const QJsonObject table = QJsonDocument::fromJson(
        R"({"name":"t","primaryKey":["id"],"privileges":{"select":true,"insert":true,"update":true,"delete":true},
            "columns":[{"name":"id","type":"integer","primaryKey":1}]})").object();
    Aiodata::TableModel model(Aiodata::TableSchema::fromJson(table));
    // No transport: the write fails with a translated message.
    Aiodata::Reply *reply = model.remove({1});
    QSignalSpy finished(reply, &Aiodata::Reply::finished);
    QVERIFY(finished.wait(2000));
    QCOMPARE(reply->error(), Aiodata::Reply::NetworkError);
    QCOMPARE(reply->errorString(), expected);
    // Later installs take precedence: remove ours again for the next row.
    const auto translators = QCoreApplication::instance()->findChildren<QTranslator *>();
    for (QTranslator *t : translators) {
        QCoreApplication::removeTranslator(t);
        delete t;
    }
}

void tst_Translations::unknownLanguage()
{
    QVERIFY(!Aiodata::Client::installTranslator(QLocale(QStringLiteral("ja_JP"))));
}

QTEST_GUILESS_MAIN(tst_Translations)
#include "tst_translations.moc"
