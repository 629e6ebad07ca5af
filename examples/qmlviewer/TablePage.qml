import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Aiodata 1.0
import "columnvalue.js" as ColumnValue

// One table: its rows in a TableView under a header of column names, and
// buttons to add and delete rows. Cells edit on double click when the role
// may update the table; the model changes when the server's event arrives.
ColumnLayout {
    id: page
    spacing: 0

    required property TableModel tableModel
    readonly property int shownRows: view.rows
    readonly property alias view: view
    readonly property alias addRowDialog: addRowDialog
    // The selected row by key, so it stays selected as rows come and go.
    property var selectedKey: null
    readonly property int selectedRow: selectedKey && tableModel.count >= 0 ? tableModel.indexOfKey(selectedKey) : -1

    // Something went wrong, in words for the status line.
    signal problem(string message)

    function reportFailure(reply, what) {
        reply.errorOccurred.connect((error, errorString) => page.problem(what.arg(errorString)))
    }

    function deleteSelected() {
        reportFailure(tableModel.remove(tableModel.keyOf(selectedRow)), qsTr("Could not delete the row: %1"))
        selectedKey = null
    }

    Connections {
        target: page.tableModel
        function onWriteFailed(errorString) {
            page.problem(qsTr("Could not save the change: %1").arg(errorString))
        }
    }

    RowLayout {
        Layout.fillWidth: true
        Layout.margins: 4
        Button {
            text: qsTr("Add Row…")
            enabled: page.tableModel.canInsert
            onClicked: addRowDialog.open()
        }
        Button {
            text: qsTr("Delete Row")
            enabled: page.tableModel.canDelete && page.selectedRow >= 0
            onClicked: page.deleteSelected()
        }
        Label {
            Layout.fillWidth: true
            elide: Text.ElideRight
            text: page.tableModel.editable ? qsTr("%n row(s). Double-click a cell to edit it.", "", page.tableModel.count)
                                           : qsTr("%n row(s), read only.", "", page.tableModel.count)
        }
    }

    HorizontalHeaderView {
        id: header
        Layout.fillWidth: true
        syncView: view
        clip: true
    }

    TableView {
        id: view
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        columnSpacing: 1
        rowSpacing: 1
        boundsBehavior: Flickable.StopAtBounds
        model: page.tableModel
        ScrollBar.horizontal: ScrollBar {}
        ScrollBar.vertical: ScrollBar {}

        delegate: Rectangle {
            id: cell
            // row, column and model come from the TableView. (Not `display`
            // unqualified: inside a button it is the button's own property.)
            readonly property var value: model.display
            readonly property var columnInfo: page.tableModel.columns[column]
            readonly property bool isBoolean: ColumnValue.kind(columnInfo) === "boolean"
            readonly property bool selected: row === page.selectedRow
            property bool editing: false

            implicitWidth: Math.min(320, Math.max(72, (isBoolean ? check.implicitWidth : label.implicitWidth) + 12))
            implicitHeight: Math.max(label.implicitHeight, check.implicitHeight) + 6
            color: selected ? palette.highlight : (row % 2 ? palette.alternateBase : palette.base)

            function commit(text) {
                editing = false
                const parsed = ColumnValue.fromText(columnInfo, text)
                if (parsed.error !== undefined)
                    page.problem(parsed.error)
                else
                    model.edit = parsed.value
            }

            Label {
                id: label
                anchors.fill: parent
                anchors.leftMargin: 6
                anchors.rightMargin: 6
                visible: !cell.isBoolean && !cell.editing
                verticalAlignment: Text.AlignVCenter
                elide: Text.ElideRight
                color: cell.selected ? palette.highlightedText : palette.text
                font.italic: cell.value === null
                text: cell.value === null ? qsTr("NULL") : ColumnValue.toText(cell.value)
            }

            CheckBox {
                id: check
                anchors.centerIn: parent
                visible: cell.isBoolean
                enabled: page.tableModel.editable
                checkState: cell.value === null ? Qt.PartiallyChecked : (cell.value ? Qt.Checked : Qt.Unchecked)
                onToggled: model.edit = checked
            }

            TapHandler {
                onTapped: page.selectedKey = page.tableModel.keyOf(row)
                onDoubleTapped: {
                    if (page.tableModel.editable && !cell.isBoolean)
                        cell.editing = true
                }
            }

            Loader {
                anchors.fill: parent
                active: cell.editing
                sourceComponent: TextField {
                    text: ColumnValue.toText(cell.value)
                    selectByMouse: true
                    Component.onCompleted: {
                        forceActiveFocus()
                        selectAll()
                    }
                    onAccepted: cell.commit(text)
                    onActiveFocusChanged: {
                        if (!activeFocus)
                            cell.editing = false
                    }
                    Keys.onEscapePressed: cell.editing = false
                }
            }
        }
    }

    AddRowDialog {
        id: addRowDialog
        tableModel: page.tableModel
        anchors.centerIn: Overlay.overlay
        onProblem: message => page.problem(message)
    }
}
