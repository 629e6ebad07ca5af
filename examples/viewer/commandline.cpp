#include "commandline.h"

namespace Aiodata::Viewer {

CommandLine::CommandLine()
    : m_urlOption(QStringLiteral("url"), tr("Server URL, e.g. http://localhost:4000."), tr("url"))
    , m_tokenOption(QStringLiteral("token"), tr("JWT to authenticate with."), tr("token"))
    , m_readOnlyOption(QStringLiteral("read-only"), tr("Connect without a token (read only)."))
    , m_cacheOption(QStringLiteral("cache"), tr("Keep the tables in this folder: they open from it at the next start, "
                                                "also without a server."),
                    tr("folder"))
    , m_langOption(QStringLiteral("lang"), tr("User interface language, e.g. de or fr."), tr("language"))
{
    m_parser.setApplicationDescription(tr("Shows the tables of an aiodata server, live."));
    m_parser.addHelpOption();
    m_parser.addOption(m_urlOption);
    m_parser.addOption(m_tokenOption);
    m_parser.addOption(m_readOnlyOption);
    m_parser.addOption(m_cacheOption);
    m_parser.addOption(m_langOption);
}

bool CommandLine::parse(const QStringList &arguments)
{
    m_error.clear();
    const bool parsed = m_parser.parse(arguments);
    // Known options are read even after an unknown one, so that the error
    // can be reported in the --lang language.
    m_language = m_parser.value(m_langOption);
    if (!parsed) {
        m_error = m_parser.errorText();
        return false;
    }
    m_help = m_parser.isSet(QStringLiteral("help"));
    m_token = m_parser.value(m_tokenOption);
    m_readOnly = m_parser.isSet(m_readOnlyOption);
    m_cacheDirectory = m_parser.value(m_cacheOption);
    m_url = QUrl();
    if (m_parser.isSet(m_urlOption)) {
        m_url = QUrl::fromUserInput(m_parser.value(m_urlOption));
        if (!m_url.isValid() || m_url.host().isEmpty()) {
            m_error = tr("Not a server URL: %1").arg(m_parser.value(m_urlOption));
            return false;
        }
    }
    return true;
}

QLocale CommandLine::locale() const
{
    return m_language.isEmpty() ? QLocale::system() : QLocale(m_language);
}

ConnectionSettings CommandLine::settings(const ConnectionSettings &remembered) const
{
    ConnectionSettings s = remembered;
    if (m_url.isValid() && !m_url.isEmpty())
        s.url = m_url;
    if (!m_token.isEmpty()) {
        s.token = m_token;
        s.readOnly = false;
        // A token from the command line is not the user's choice to store.
        s.rememberToken = false;
    }
    if (m_readOnly)
        s.readOnly = true;
    if (!m_cacheDirectory.isEmpty())
        s.cacheDirectory = m_cacheDirectory;
    return s;
}

bool CommandLine::connectsDirectly() const
{
    return m_url.isValid() && !m_url.isEmpty() && (!m_token.isEmpty() || m_readOnly);
}

} // namespace Aiodata::Viewer
