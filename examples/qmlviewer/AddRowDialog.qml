import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Aiodata 1.0
import "columnvalue.js" as ColumnValue

// A form with one field per column; OK creates the row through the server.
Dialog {
    id: dialog
    required property TableModel tableModel
    signal problem(string message)

    title: qsTr("Add a Row to %1").arg(tableModel.name)
    modal: true
    width: 420

    // The first thing that keeps the row from being added, "" if none.
    readonly property string firstProblem: {
        for (let i = 0; i < fields.count; ++i) {
            const field = fields.itemAt(i)
            if (!field)
                continue
            if (field.text.trim() === "") {
                if (ColumnValue.isRequired(field.column))
                    return qsTr("Fill in %1.").arg(field.column.name)
                continue
            }
            const parsed = ColumnValue.fromText(field.column, field.text)
            if (parsed.error !== undefined)
                return parsed.error
        }
        return ""
    }

    // The field of a column, by name (null if there is none).
    function field(name) {
        for (let i = 0; i < fields.count; ++i) {
            if (fields.itemAt(i).column.name === name)
                return fields.itemAt(i)
        }
        return null
    }

    function clear() {
        for (let i = 0; i < fields.count; ++i)
            fields.itemAt(i).text = ""
    }

    onOpened: clear()
    onAccepted: {
        // Empty fields are left out, so the columns' defaults apply.
        const row = {}
        for (let i = 0; i < fields.count; ++i) {
            const field = fields.itemAt(i)
            if (field.text.trim() !== "")
                row[field.column.name] = ColumnValue.fromText(field.column, field.text).value
        }
        const reply = tableModel.create(row)
        reply.errorOccurred.connect((error, errorString) => dialog.problem(qsTr("Could not add the row: %1").arg(errorString)))
    }

    contentItem: ColumnLayout {
        GridLayout {
            columns: 2
            Layout.fillWidth: true
            Repeater {
                id: labels
                model: dialog.tableModel.columns
                Label {
                    required property var modelData
                    required property int index
                    Layout.row: index
                    Layout.column: 0
                    text: modelData.primaryKey ? qsTr("%1 (key):").arg(modelData.name) : qsTr("%1:").arg(modelData.name)
                }
            }
            Repeater {
                id: fields
                model: dialog.tableModel.columns
                TextField {
                    required property var modelData
                    required property int index
                    readonly property var column: modelData
                    Layout.row: index
                    Layout.column: 1
                    Layout.fillWidth: true
                    selectByMouse: true
                    placeholderText: ColumnValue.isRequired(modelData) ? qsTr("%1, required").arg(modelData.type)
                                   : modelData.hasDefault ? qsTr("%1, empty: default").arg(modelData.type)
                                   : qsTr("%1, empty: NULL").arg(modelData.type)
                    ToolTip.visible: hovered && modelData.comment !== ""
                    ToolTip.text: modelData.comment
                }
            }
        }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: "#9c1c10"
            text: dialog.firstProblem
            visible: text !== ""
        }
    }

    footer: DialogButtonBox {
        Button {
            text: qsTr("Add")
            enabled: dialog.firstProblem === ""
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
        Button {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
    }
}
