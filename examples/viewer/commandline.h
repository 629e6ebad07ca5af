#pragma once

#include "connectionsettings.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLocale>

namespace Aiodata::Viewer {

// The viewer's options: --url, --token, --read-only, --cache, --lang.
// Construct it after the translations are installed so --help is translated.
class CommandLine
{
    Q_DECLARE_TR_FUNCTIONS(Aiodata::Viewer::CommandLine)
public:
    CommandLine();

    bool parse(const QStringList &arguments); // false on an unknown option or a bad URL
    QString errorText() const { return m_error; }
    QString helpText() const { return m_parser.helpText(); }
    bool helpRequested() const { return m_help; }

    // --lang, or the system locale.
    QLocale locale() const;
    bool hasLanguage() const { return !m_language.isEmpty(); }
    // The connection given on the command line, over the remembered one.
    ConnectionSettings settings(const ConnectionSettings &remembered = ConnectionSettings()) const;
    // Enough was given to connect without asking: a URL and a token or --read-only.
    bool connectsDirectly() const;

private:
    QCommandLineParser m_parser;
    QCommandLineOption m_urlOption;
    QCommandLineOption m_tokenOption;
    QCommandLineOption m_readOnlyOption;
    QCommandLineOption m_cacheOption;
    QCommandLineOption m_langOption;
    QString m_error;
    QString m_language;
    QUrl m_url;
    QString m_token;
    bool m_readOnly = false;
    QString m_cacheDirectory;
    bool m_help = false;
};

} // namespace Aiodata::Viewer
