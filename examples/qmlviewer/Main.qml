import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Aiodata 1.0

// Every table of the server in a tab: live rows, editable cells where the
// token's role may update, rows to add and delete, and the connection's
// state and errors in the status line.
ApplicationWindow {
    id: window
    width: 960
    height: 640
    visible: true
    title: qsTr("aiodata QML viewer")

    // Set by main.cpp from --url and --token; a URL there connects at once.
    property string initialUrl: "http://localhost:4000"
    property string initialToken: ""
    property bool connectAtStart: false
    property string cacheDirectory: "" // --cache: the tables open from it, also without a server

    // For main.cpp's --quit-after-load: the client, the current tab's table
    // and how many rows its view shows.
    readonly property alias client: client
    readonly property string currentTable: client.tableNames[tabs.currentIndex] ?? ""
    readonly property int shownRows: currentPage ? currentPage.shownRows : 0
    readonly property TablePage currentPage: pages.currentPage

    property string problem: ""

    function statusText() {
        let text = connectionText()
        if (client.fromCache)
            text = qsTr("%1 (offline copy)").arg(text)
        if (client.pendingWrites > 0)
            text = qsTr("%1 — %n change(s) not yet sent", "", client.pendingWrites).arg(text)
        return text
    }

    function connectionText() {
        switch (client.status) {
        case Client.Disconnected:
            return qsTr("Not connected")
        case Client.Connecting:
            return qsTr("Connecting to %1…").arg(client.url)
        case Client.Loading:
            return qsTr("Loading tables…")
        case Client.Ready:
            return client.token === "" ? qsTr("Connected, read only") : qsTr("Connected")
        case Client.Reconnecting:
            return qsTr("Connection lost, reconnecting…")
        }
        return ""
    }

    function applySettings() {
        // Changing url or token of an active client reconnects it.
        client.url = urlField.text.trim()
        client.token = tokenField.text.trim()
        client.active = true
    }

    Client {
        id: client
        url: window.initialUrl
        token: window.initialToken
        cacheDirectory: window.cacheDirectory
        active: window.connectAtStart
        onErrorOccurred: (error, errorString) => window.problem = errorString
        onReady: window.problem = ""
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            Label {
                text: qsTr("Server:")
            }
            TextField {
                id: urlField
                Layout.fillWidth: true
                text: window.initialUrl
                selectByMouse: true
                onAccepted: window.applySettings()
            }
            Label {
                text: qsTr("Token:")
            }
            TextField {
                id: tokenField
                Layout.preferredWidth: 220
                text: window.initialToken
                echoMode: TextInput.Password
                placeholderText: qsTr("none: read only")
                selectByMouse: true
                onAccepted: window.applySettings()
            }
            Button {
                text: client.active ? qsTr("Disconnect") : qsTr("Connect")
                onClicked: client.active ? client.stop() : window.applySettings()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        TabBar {
            id: tabs
            Layout.fillWidth: true
            Repeater {
                model: client.tableNames
                TabButton {
                    required property string modelData
                    text: modelData
                    width: implicitWidth
                }
            }
        }

        StackLayout {
            id: pages
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: tabs.currentIndex
            // itemAt() is not a binding dependency: count and currentIndex are.
            readonly property TablePage currentPage: pageRepeater.count > 0 ? pageRepeater.itemAt(currentIndex) as TablePage : null
            Repeater {
                id: pageRepeater
                model: client.tableNames
                TablePage {
                    required property string modelData
                    tableModel: window.client.table(modelData)
                    onProblem: message => window.problem = message
                }
            }
        }

        Label {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: client.tableNames.length === 0
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
            wrapMode: Text.Wrap
            text: client.status === Client.Ready ? qsTr("This server shows no tables to this token.")
                                                 : qsTr("Enter the server's URL, and a token to write, then Connect.")
        }
    }

    footer: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            Label {
                text: window.statusText()
            }
            ProgressBar {
                visible: client.status === Client.Connecting || client.status === Client.Loading
                indeterminate: client.status === Client.Connecting
                value: client.progress
            }
            Label {
                Layout.fillWidth: true
                text: window.problem
                color: "#9c1c10"
                elide: Text.ElideRight
            }
            ToolButton {
                visible: window.problem !== ""
                text: qsTr("Dismiss")
                onClicked: window.problem = ""
            }
        }
    }
}
