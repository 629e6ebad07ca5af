// The example of docs/getting-started-qml.md. Run it with
//   QML_IMPORT_PATH=build/qml /usr/lib/qt6/bin/qml tests/qml/snippets/getting_started.qml
// (tst_aiodata.qml loads it against a test server.)
import QtQuick
import QtQuick.Controls
import Aiodata 1.0

ApplicationWindow {
    id: window
    width: 640
    height: 480
    visible: true
    title: qsTr("Pets")

    property url serverUrl: "http://localhost:4000"
    property string token: ""   // a JWT to write with; empty: read-only

    Client {
        id: client
        url: window.serverUrl
        token: window.token
        active: true            // connects once the component is complete
        onCreated: (table, rows) => console.log(qsTr("%1 new row(s) in %2").arg(rows.length).arg(table))
    }

    HorizontalHeaderView {
        id: header
        syncView: pets
    }

    TableView {
        id: pets
        anchors.fill: parent
        anchors.topMargin: header.height
        columnSpacing: 1
        rowSpacing: 1
        clip: true
        model: client.tables.pets   // live rows, sorted by primary key
        delegate: Label {
            text: display ?? ""     // or a column by name: model.name
            padding: 4
        }
    }

    footer: Label {
        padding: 4
        text: client.status === Client.Ready ? qsTr("%n pet(s)", "", pets.rows) : client.errorString
    }
}
