// examples/qmlviewer's QML against the real server, driven as a user would:
// read cells, edit one, add and delete a row, and see refusals in words.

import QtQuick
import QtTest
import Aiodata 1.0

TestCase {
    id: testCase
    name: "QmlViewer"
    when: windowShown

    property var window: null

    // Watches the table from outside the viewer.
    Client {
        id: watcher
        url: serverUrl
        active: true
    }

    function openViewer(properties) {
        const component = Qt.createComponent(Qt.resolvedUrl("../../examples/qmlviewer/Main.qml"))
        compare(component.status, Component.Ready, component.errorString())
        const w = component.createObject(null, properties)
        verify(w)
        return w
    }

    function openConnected(token) {
        window = openViewer({initialUrl: serverUrl, initialToken: token, connectAtStart: true})
        tryCompare(window.client, "status", Client.Ready, 10000)
        tryVerify(() => window.currentPage !== null, 5000)
        tryCompare(window, "shownRows", window.client.tables.pets.count, 5000)
        return window.currentPage
    }

    function cellOf(page, key, column) {
        const model = page.tableModel
        const row = model.indexOfKey(key)
        verify(row >= 0, "no row " + JSON.stringify(key))
        page.view.forceLayout()
        const item = page.view.itemAtCell(Qt.point(model.columnNames.indexOf(column), row))
        verify(item, column + " of " + JSON.stringify(key) + " is not loaded")
        return item
    }

    function childWith(item, property) {
        for (let i = 0; i < item.children.length; ++i) {
            if (item.children[i][property] !== undefined)
                return item.children[i]
        }
        return null
    }

    function buttonLabelled(box, text) {
        for (let i = 0; i < box.contentChildren.length; ++i) {
            if (box.contentChildren[i].text === text)
                return box.contentChildren[i]
        }
        return null
    }

    function rowOf(key) {
        const rows = watcher.tables.pets.get(key)
        return rows.length === 1 ? rows[0] : null
    }

    function init() {
        tryCompare(watcher, "status", Client.Ready, 15000)
    }

    function cleanup() {
        if (window)
            window.destroy()
        window = null
    }

    function test_connectsWhenAsked() {
        window = openViewer({initialUrl: serverUrl, connectAtStart: false})
        wait(50)
        compare(window.client.status, Client.Disconnected)
        compare(window.statusText(), "Not connected")
        window.applySettings()
        tryCompare(window.client, "status", Client.Ready, 10000)
        compare(window.statusText(), "Connected, read only")
        compare(window.currentTable, "pets")
    }

    function test_showsCells() {
        const page = openConnected(authToken)
        const rex = ["Dog", "Beagle", "Rex"]
        compare(cellOf(page, rex, "name").value, "Rex")
        compare(childWith(cellOf(page, rex, "name"), "elide").text, "Rex")
        // Booleans are check boxes, NULL included.
        compare(childWith(cellOf(page, rex, "groomed"), "checkState").checkState, rowOf(rex).groomed ? Qt.Checked : Qt.Unchecked)
        const fifi = ["Dog", "Poodle", "Fifi"]
        compare(childWith(cellOf(page, fifi, "color"), "elide").text, "NULL")
        verify(page.tableModel.editable)
    }

    function test_editsCells() {
        const page = openConnected(authToken)
        const rex = ["Dog", "Beagle", "Rex"]
        const color = rowOf(rex).color + 100
        cellOf(page, rex, "color").commit(String(color))
        tryVerify(() => rowOf(rex).color === color, 5000)
        tryCompare(cellOf(page, rex, "color"), "value", color, 5000)

        // Not a number: said in words, nothing sent.
        cellOf(page, rex, "color").commit("lots")
        verify(window.problem.indexOf("whole number") >= 0, window.problem)
        wait(200)
        compare(rowOf(rex).color, color)
    }

    function test_addsAndDeletesRows() {
        const page = openConnected(authToken)
        const dialog = page.addRowDialog
        dialog.open()
        tryCompare(dialog, "opened", true, 5000)
        compare(dialog.firstProblem, "Fill in type.")
        verify(!buttonLabelled(dialog.footer, "Add").enabled)
        dialog.field("type").text = "Bird"
        dialog.field("breed").text = "Canary"
        dialog.field("name").text = "Tweety"
        dialog.field("color").text = "seven"
        verify(dialog.firstProblem.indexOf("whole number") >= 0, dialog.firstProblem)
        dialog.field("color").text = "7"
        compare(dialog.firstProblem, "")
        const add = buttonLabelled(dialog.footer, "Add")
        verify(add && add.enabled)
        mouseClick(add)
        tryCompare(dialog, "visible", false, 5000)
        const tweety = ["Bird", "Canary", "Tweety"]
        tryVerify(() => rowOf(tweety) !== null, 5000)
        compare(rowOf(tweety).color, 7)
        compare(rowOf(tweety).groomed, false) // left empty: the column default
        tryCompare(window, "shownRows", watcher.tables.pets.count, 5000)

        page.selectedKey = tweety
        verify(page.selectedRow >= 0)
        page.deleteSelected()
        tryVerify(() => rowOf(tweety) === null, 5000)
        compare(window.problem, "")
    }

    function test_readOnlyViewerSaysNo() {
        const page = openConnected("")
        verify(!page.tableModel.canInsert && !page.tableModel.canDelete && !page.tableModel.editable)
        // Editing is off, and a write the server refuses is reported in words.
        const dialog = page.addRowDialog
        dialog.open()
        dialog.field("type").text = "Cat"
        dialog.field("breed").text = "Tabby"
        dialog.field("name").text = "Tom"
        dialog.accept()
        tryVerify(() => window.problem !== "", 5000)
        verify(window.problem.indexOf("Could not add the row") >= 0, window.problem)
        verify(window.problem.indexOf("permission denied") >= 0, window.problem)
        compare(rowOf(["Cat", "Tabby", "Tom"]), null)
    }
}
