// Runs the QML tests of this folder (tst_*.qml) against real PostgreSQL and
// the real server binary: the Aiodata module loads from the build tree
// (build/qml), exactly as an app with QML_IMPORT_PATH=build/qml loads it.

#include "testdatabase.h"
#include "testserver.h"

#include <QQmlContext>
#include <QQmlEngine>
#include <QTemporaryDir>
#include <QtQuickTest>

#include <memory>

// Context properties for the tests: serverUrl, authToken (role "auth": may
// write), badToken (signed with another secret) and setupError (empty when
// the database and server started), cacheFolder (an empty folder).
class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(AIODATA_QML_IMPORT_DIR));
        // One database and server for all test files; each file gets its own engine.
        if (!m_server)
            start();
        QQmlContext *context = engine->rootContext();
        context->setContextProperty(QStringLiteral("serverUrl"), m_server->url().toString());
        context->setContextProperty(QStringLiteral("authToken"), TestServer::token(QStringLiteral("auth")));
        context->setContextProperty(QStringLiteral("badToken"), QStringLiteral("not.a.jwt"));
        context->setContextProperty(QStringLiteral("setupError"), m_error);
        context->setContextProperty(QStringLiteral("cacheFolder"), m_cache.path());
    }

    void cleanupTestCase()
    {
        // Before QGuiApplication goes: the server is a QProcess.
        if (m_server)
            m_server->stop();
        m_server.reset();
        m_db.reset();
    }

private:
    void start()
    {
        m_db = std::make_unique<TestDatabase>(QStringLiteral("tst_qml"));
        m_server = std::make_unique<TestServer>();
        if (!m_db->create(&m_error))
            return;
        // Two dogs the tests read before writing anything.
        if (!m_db->exec(QStringLiteral("INSERT INTO api.pets VALUES ('Dog', 'Beagle', 'Rex', 1, false),"
                                       " ('Dog', 'Poodle', 'Fifi', NULL, true)"), &m_error))
            return;
        m_server->start(m_db->authenticatorUri(), QString(), &m_error);
    }

    std::unique_ptr<TestDatabase> m_db;
    std::unique_ptr<TestServer> m_server;
    QString m_error;
    QTemporaryDir m_cache; // Client.cacheDirectory for test_cacheOpensWithoutServer
};

QUICK_TEST_MAIN_WITH_SETUP(aiodata_qml, Setup)

#include "tst_qml.moc"
