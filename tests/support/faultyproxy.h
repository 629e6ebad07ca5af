#pragma once

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

// A loopback TCP proxy in front of the server that can misbehave on
// purpose: drop the answer to the next write request, or cut every
// connection and refuse new ones for a while.
class FaultyProxy : public QObject
{
    Q_OBJECT
public:
    explicit FaultyProxy(quint16 targetPort, QObject *parent = nullptr);
    ~FaultyProxy() override;

    bool listen(quint16 port = 0);
    quint16 port() const { return m_port; }
    // The next `count` POST/PATCH/DELETE requests reach the server, but
    // their answers never reach the client: the connection is cut instead.
    void dropWriteAnswers(int count) { m_dropWriteAnswers = count; }
    // The answers to the next `count` requests starting with requestPrefix
    // (e.g. "GET /query/items") arrive with every body byte replaced by '!'.
    void garbleAnswers(const QByteArray &requestPrefix, int count)
    {
        m_garblePrefix = requestPrefix;
        m_garbleAnswers = count;
    }
    int garbledAnswers() const { return m_garbledAnswers; }
    // Requests starting with requestPrefix (e.g. "GET / ") wait in the proxy
    // until releaseHeld(); other connections go on.
    void holdRequests(const QByteArray &requestPrefix) { m_holdPrefix = requestPrefix; }
    void releaseHeld();
    int heldRequests() const;
    // The request lines that went through (or are held), in order.
    QByteArrayList requestLines() const { return m_requestLines; }
    // Cuts every connection and stops accepting until resume().
    void cut();
    void resume();
    int droppedAnswers() const { return m_droppedAnswers; }

private:
    struct Pair
    {
        QPointer<QTcpSocket> client;
        QPointer<QTcpSocket> server;
        bool dropAnswer = false;
        bool garble = false;       // the current answer's body is garbled
        bool garbleInBody = false; // its header block has passed
        QByteArray garbleHead;     // its header bytes so far
        QByteArray held;           // what the client sent while its request is held
    };
    void onNewConnection();

    QTcpServer m_listener;
    quint16 m_targetPort;
    quint16 m_port = 0;
    int m_dropWriteAnswers = 0;
    int m_droppedAnswers = 0;
    QByteArray m_garblePrefix;
    int m_garbleAnswers = 0;
    int m_garbledAnswers = 0;
    QByteArray m_holdPrefix;
    QByteArrayList m_requestLines;
    QList<std::shared_ptr<Pair>> m_pairs;
};
