#pragma once

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonValue>
#include <QUrl>
#include <QVariantList>

namespace Aiodata::Mirror {

// What the command line asks for, checked as far as it can be without the
// server (the table's existence and key length are checked once the schema
// is there).
struct Options
{
    enum Mode { Read, Create, Update, Remove };

    QUrl url;
    QString token;
    QString table;
    QString query;          // a PostgREST query string (not supported yet)
    QString cacheDir;       // --cache (not supported yet)
    bool offline = false;   // --offline (not supported yet)
    bool follow = false;
    Mode mode = Read;
    QJsonValue data;        // --create: an object or an array of objects; --update: an object
    QVariantList key;       // --key K1/K2: a primary-key prefix, each part percent-decoded
};

// aiodata-mirror's options. parse() never exits: the caller prints
// errorText() and exits with ExitCode::Usage, or helpText() and 0.
class CommandLine
{
    Q_DECLARE_TR_FUNCTIONS(Aiodata::Mirror::CommandLine)
public:
    CommandLine();

    // `environmentToken` is $AIODATA_TOKEN, used when --token is not given.
    bool parse(const QStringList &arguments, const QString &environmentToken);
    bool helpRequested() const { return m_help; }
    QString helpText() const;
    QString errorText() const { return m_error; }
    const Options &options() const { return m_options; }

    // Options accepted on the command line whose feature is not built yet
    // (the offline cache: --cache, --offline; a QUERY): false with
    // errorText() set. Apart from parse() so that wiring the cache up later
    // touches one place.
    bool checkSupported();

private:
    bool fail(const QString &error);

    QCommandLineParser m_parser;
    QCommandLineOption m_helpOption;
    QCommandLineOption m_urlOption;
    QCommandLineOption m_tokenOption;
    QCommandLineOption m_cacheOption;
    QCommandLineOption m_offlineOption;
    QCommandLineOption m_followOption;
    QCommandLineOption m_createOption;
    QCommandLineOption m_updateOption;
    QCommandLineOption m_removeOption;
    QCommandLineOption m_keyOption;
    Options m_options;
    QString m_error;
    bool m_help = false;
};

} // namespace Aiodata::Mirror
