#pragma once

#include "commandline.h"

#include <Aiodata/client.h>

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace Aiodata {
class Reply;
class TableModel;
}

namespace Aiodata::Mirror {

// One run of aiodata-mirror: a Client for the options' server and token,
// then either the table's rows (and, with --follow, its changes) on stdout,
// or one write through the table's model. Emits finished() once, with the
// process's exit code (ExitCode); messages go to stderr.
class Mirror : public QObject
{
    Q_OBJECT
public:
    // How long the server may take to answer GET / and /state before the
    // run ends with ExitCode::Unreachable.
    static constexpr int ConnectTimeoutMs = 15000;

    explicit Mirror(const Options &options, QObject *parent = nullptr);
    ~Mirror() override;

    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    void onCacheOpened();
    void onTablesKnown();
    void onSubsetKnown();
    void onReady();
    void onError(Aiodata::Client::Error error, const QString &message);
    void onStatus(Aiodata::Client::Status status);
    void follow();
    void write();
    void onWritten(Aiodata::Reply *reply);
    void printTable();
    void finish(int exitCode, const QString &message = QString());

    const Options m_options;
    Client m_client;
    QPointer<TableModel> m_model;
    QTimer m_connectTimeout;
    bool m_printed = false;  // read mode: the first array line is out
    bool m_writing = false;  // write mode: the write was sent
    bool m_journaled = false; // ... into the cache's journal (--cache)
    bool m_everReady = false;
    bool m_queuedWriteRefused = false; // a write of an earlier run was refused
    bool m_finished = false;
};

} // namespace Aiodata::Mirror
