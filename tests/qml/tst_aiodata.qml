// The QML module against the real server (see tst_qml.cpp for serverUrl,
// authToken, badToken and setupError): two clients, one anonymous (may only
// read) and one with the auth role's token (may write), each shown in a
// TableView, write through each other and see the results arrive.

import QtQuick
import QtTest
import Aiodata 1.0

TestCase {
    id: testCase
    name: "Aiodata"
    width: 600
    height: 400
    when: windowShown

    // Reads anonymously: the server's anon role may only SELECT.
    Client {
        id: reader
        url: serverUrl
        active: true
        property var events: []
        property var updates: []
        property var deletes: []
        onEvent: (action, table, rows) => events.push({action: action, table: table, rows: rows})
        onUpdated: (table, oldRows, newRows) => updates.push({table: table, oldRows: oldRows, newRows: newRows})
        onDeleted: (table, rows) => deletes.push({table: table, rows: rows})
    }

    Client {
        id: writer
        url: serverUrl
        token: authToken
        active: true
        property var updates: []
        onUpdated: (table, oldRows, newRows) => updates.push({table: table, oldRows: oldRows, newRows: newRows})
    }

    // A cell that shows its value and can write one back through the model,
    // as an editing delegate does.
    Component {
        id: cellDelegate
        Text {
            text: display === null || display === undefined ? "" : String(display)
            padding: 2 // a NULL cell is empty, and a TableView needs a width
            // EditRole: this cell.
            function edit(value) { model.edit = value }
            // A column role: that column of this cell's row.
            function editColumn(column, value) { model[column] = value }
            // What model.<column> reads in a delegate of any column.
            function read(column) { return model[column] }
        }
    }

    TableView {
        id: readerView
        width: 600
        height: 180
        model: reader.tables.pets ?? null
        delegate: cellDelegate
    }

    TableView {
        id: writerView
        y: 200
        width: 600
        height: 180
        model: writer.tables.pets ?? null
        delegate: cellDelegate
    }

    Component {
        id: clientComponent
        Client {}
    }

    function initTestCase() {
        verify(setupError === "", "database or server did not start: " + setupError)
    }

    function init() {
        tryCompare(reader, "status", Client.Ready, 15000)
        tryCompare(writer, "status", Client.Ready, 15000)
    }

    function pets(client) { return client.tables.pets }

    function rowOf(client, key) {
        const rows = pets(client).get(key)
        return rows.length === 1 ? rows[0] : null
    }

    function cell(view, key, column) {
        const model = view.model
        const row = model.indexOfKey(key)
        verify(row >= 0, "no row " + JSON.stringify(key))
        view.forceLayout()
        const item = view.itemAtCell(Qt.point(model.columnNames.indexOf(column), row))
        verify(item, "cell " + column + " of " + JSON.stringify(key) + " is not loaded")
        return item
    }

    function waitForReply(reply) {
        verify(reply, "no reply")
        tryCompare(reply, "finished", true, 5000)
        return reply
    }

    // HTTP from outside both clients, as another program would write.
    function request(method, path, body) {
        const xhr = new XMLHttpRequest
        const result = {done: false, status: 0, body: null}
        xhr.onreadystatechange = function() {
            if (xhr.readyState !== XMLHttpRequest.DONE)
                return
            result.status = xhr.status
            result.body = xhr.responseText ? JSON.parse(xhr.responseText) : null
            result.done = true
        }
        xhr.open(method, serverUrl + path)
        xhr.setRequestHeader("Authorization", "Bearer " + authToken)
        xhr.setRequestHeader("Content-Type", "application/json")
        xhr.setRequestHeader("Prefer", "return=representation")
        xhr.send(body === undefined ? "" : JSON.stringify(body))
        tryCompare(result, "done", true, 5000)
        return result
    }

    function test_clientIsReady() {
        compare(writer.progress, 1)
        compare(writer.errorString, "")
        compare(writer.error, Client.NoError)
        verify(writer.tableNames.indexOf("pets") >= 0)
        // tables.<name> and table(name) are the same model.
        verify(pets(writer))
        compare(writer.table("pets"), pets(writer))
        verify(pets(writer) !== pets(reader))
        compare(pets(writer).name, "pets")
        compare(pets(writer).columnNames, ["type", "breed", "name", "color", "groomed"])
        compare(pets(writer).primaryKey, ["type", "breed", "name"])
        compare(pets(writer).columns[3].name, "color")
        compare(pets(writer).columns[3].type, "integer")
        compare(pets(writer).columns[0].primaryKey, true)
        compare(pets(writer).columns[4].hasDefault, true)
        // What each role may do, from the schema description.
        verify(pets(writer).editable && pets(writer).canInsert && pets(writer).canDelete)
        verify(!pets(reader).editable && !pets(reader).canInsert && !pets(reader).canDelete)
    }

    function test_typesAndEnums() {
        verify(Client.Ready !== Client.Loading)
        verify(Reply.Unauthorized !== Reply.NoError)
        // TableModel and Reply come from a Client; QML cannot make them.
        let message = ""
        try {
            Qt.createQmlObject("import Aiodata 1.0; TableModel {}", testCase)
        } catch (e) {
            message = e.qmlErrors[0].message
        }
        verify(message.indexOf("comes from a Client") >= 0, message)
    }

    function test_delegatesReadColumnsByName() {
        tryCompare(readerView, "rows", pets(reader).count, 5000)
        compare(readerView.columns, 5)
        const key = ["Dog", "Beagle", "Rex"]
        const rex = cell(readerView, key, "name")
        compare(rex.text, "Rex")
        compare(rex.read("breed"), "Beagle")
        compare(rex.read("color"), rowOf(reader, key).color)
        compare(rex.read("groomed"), rowOf(reader, key).groomed)
        compare(cell(readerView, key, "color").text, String(rowOf(reader, key).color))
        // NULL is null, not 0 or "".
        compare(cell(readerView, ["Dog", "Poodle", "Fifi"], "color").read("color"), null)
    }

    function test_rowFromAnotherProgramAppears() {
        const before = pets(reader).count
        const posted = request("POST", "/query/pets", {type: "Bird", breed: "Parrot", name: "Polly", color: 7})
        compare(posted.status, 201)
        tryCompare(pets(reader), "count", before + 1, 5000)
        compare(rowOf(reader, ["Bird", "Parrot", "Polly"]).color, 7)
        // And the view shows it.
        tryCompare(readerView, "rows", before + 1, 5000)
        compare(cell(readerView, ["Bird", "Parrot", "Polly"], "name").text, "Polly")
    }

    function test_writesFromQml() {
        const model = pets(writer)
        // One object.
        const created = waitForReply(model.create({type: "Dog", breed: "Shiba Inu", name: "Munch", color: 16766362}))
        compare(created.error, Reply.NoError)
        compare(created.errorString, "")
        compare(created.rows.length, 1)
        compare(created.rows[0].groomed, false) // the column default, as the server returned it
        tryVerify(() => rowOf(reader, ["Dog", "Shiba Inu", "Munch"]) !== null, 5000)
        compare(rowOf(reader, ["Dog", "Shiba Inu", "Munch"]).color, 16766362)

        // An array: one statement, one event with both rows.
        reader.events = []
        const batch = waitForReply(model.create([{type: "Fish", breed: "Koi", name: "Aqui"},
                                                 {type: "Fish", breed: "Koi", name: "Luna"}]))
        compare(batch.error, Reply.NoError)
        compare(batch.rows.length, 2)
        tryVerify(() => reader.events.length > 0, 5000)
        compare(reader.events[0].action, "create")
        compare(reader.events[0].table, "pets")
        compare(reader.events[0].rows.length, 2)
        compare(pets(reader).get(["Fish", "Koi"]).length, 2)

        // update(keyPrefix, values): every Shiba Inu.
        reader.updates = []
        const groomed = waitForReply(model.update(["Dog", "Shiba Inu"], {groomed: true}))
        compare(groomed.error, Reply.NoError)
        compare(groomed.rows.length, 1)
        tryVerify(() => reader.updates.length > 0, 5000)
        compare(reader.updates[0].table, "pets")
        compare(reader.updates[0].oldRows[0].groomed, false)
        compare(reader.updates[0].newRows[0].groomed, true)
        compare(rowOf(reader, ["Dog", "Shiba Inu", "Munch"]).groomed, true)

        // remove(keyPrefix): both koi.
        reader.deletes = []
        const removed = waitForReply(model.remove(["Fish", "Koi"]))
        compare(removed.error, Reply.NoError)
        compare(removed.rows.length, 2)
        tryVerify(() => reader.deletes.length > 0, 5000)
        compare(reader.deletes[0].rows.length, 2)
        compare(pets(reader).get(["Fish"]).length, 0)

        // A reply QML holds stays readable after it finished, also past a GC.
        gc()
        compare(created.rows[0].name, "Munch")
    }

    function test_cellEditsWriteThroughSetData() {
        tryCompare(writerView, "rows", pets(writer).count, 5000)
        const rex = ["Dog", "Beagle", "Rex"]
        const color = rowOf(writer, rex).color + 41

        // model.edit = value in the color cell: EditRole.
        writer.updates = []
        cell(writerView, rex, "color").edit(color)
        tryVerify(() => writer.updates.length > 0, 5000)
        compare(writer.updates[0].newRows[0].name, "Rex")
        compare(writer.updates[0].newRows[0].color, color)
        tryCompare(cell(writerView, rex, "color"), "text", String(color), 5000)
        // The other client saw it, and so does the database.
        tryVerify(() => rowOf(reader, rex).color === color, 5000)
        compare(request("GET", "/query/pets/Dog/Beagle/Rex").body[0].color, color)

        // model.groomed = value in the name cell: the groomed column of the row.
        writer.updates = []
        const groomed = !rowOf(writer, rex).groomed
        cell(writerView, rex, "name").editColumn("groomed", groomed)
        tryVerify(() => writer.updates.length > 0, 5000)
        compare(writer.updates[0].newRows[0].groomed, groomed)
        compare(writer.updates[0].newRows[0].color, color)
        tryVerify(() => rowOf(reader, rex).groomed === groomed, 5000)
        compare(request("GET", "/query/pets/Dog/Beagle/Rex").body[0].groomed, groomed)
    }

    function test_anonymousWritesFail() {
        const tom = ["Cat", "Tabby", "Tom"]
        const reply = pets(reader).create({type: "Cat", breed: "Tabby", name: "Tom"})
        let failure = null
        reply.errorOccurred.connect((error, errorString) => failure = {error: error, errorString: errorString})
        tryVerify(() => failure !== null, 5000)
        compare(failure.error, Reply.Unauthorized)
        verify(failure.errorString.indexOf("permission denied") >= 0, failure.errorString)
        compare(reply.error, Reply.Unauthorized)
        compare(reply.rows.length, 0)

        // The model is read-only for this role: a cell edit sends nothing.
        const fifi = ["Dog", "Poodle", "Fifi"]
        cell(readerView, fifi, "color").edit(5)
        cell(readerView, fifi, "name").editColumn("groomed", false)
        // Anything the server did would have arrived before a later write's event.
        const posted = request("POST", "/query/pets", {type: "Cat", breed: "Siamese", name: "Kiki"})
        compare(posted.status, 201)
        tryVerify(() => rowOf(reader, ["Cat", "Siamese", "Kiki"]) !== null, 5000)
        compare(rowOf(reader, fifi).color, null)
        compare(rowOf(reader, fifi).groomed, true)
        compare(rowOf(reader, tom), null)
    }

    // Watches a reply without holding it: target turns null when it is deleted.
    Component {
        id: replyWatcher
        Connections {
            property bool failed: false
            function onErrorOccurred() { failed = true }
        }
    }

    // A reply nobody holds still reports, and is freed once it finished.
    function test_repliesBelongToQmlOnceFinished() {
        let watcher = null
        ;(function() {
            watcher = createTemporaryObject(replyWatcher, testCase, {target: pets(reader).remove(["Nobody"])})
        })()
        verify(watcher.target)
        gc() // pending: the client keeps it
        tryCompare(watcher, "failed", true, 5000)
        verify(watcher.target)
        tryVerify(() => { gc(); return watcher.target === null }, 5000)
    }

    QtObject {
        id: holder
        property Reply held: null
    }

    // A finished reply that a property holds stays, garbage collection or not.
    function test_heldRepliesStay() {
        ;(function() {
            holder.held = pets(reader).remove(["Nobody"])
        })()
        tryCompare(holder.held, "finished", true, 5000)
        for (let i = 0; i < 3; ++i) {
            gc()
            wait(20)
        }
        verify(holder.held !== null)
        compare(holder.held.error, Reply.Unauthorized)
        holder.held = null
    }

    function test_activeConnectsAfterCompletion() {
        const client = createTemporaryObject(clientComponent, testCase, {url: serverUrl})
        verify(client)
        // Not active: does not connect.
        wait(100)
        compare(client.status, Client.Disconnected)
        compare(client.tables.pets, undefined)

        client.active = true
        tryCompare(client, "status", Client.Ready, 10000)
        verify(client.tables.pets)
        compare(client.tables.pets.count, pets(reader).count)

        // stop() and start() follow active, and back.
        client.stop()
        compare(client.active, false)
        compare(client.status, Client.Disconnected)
        client.start()
        compare(client.active, true)
        tryCompare(client, "status", Client.Ready, 10000)
    }

    function test_tokenChangeReconnects() {
        const client = createTemporaryObject(clientComponent, testCase, {url: serverUrl, active: true})
        tryCompare(client, "status", Client.Ready, 10000)
        verify(!client.tables.pets.editable)
        let errors = []
        client.errorOccurred.connect((error, errorString) => errors.push({error: error, errorString: errorString}))

        // A refused token: the client says so in words and stops trying.
        client.token = badToken
        tryCompare(client, "error", Client.AuthenticationError, 10000)
        compare(client.status, Client.Disconnected)
        compare(client.active, true)
        verify(client.errorString.length > 0)
        compare(errors[errors.length - 1].error, Client.AuthenticationError)
        compare(errors[errors.length - 1].errorString, client.errorString)

        // A good one: connected again.
        client.token = authToken
        tryCompare(client, "status", Client.Ready, 10000)
        compare(client.error, Client.NoError)
    }

    // cacheDirectory, fromCache, openCache() and cacheOpened from QML: a
    // second client shows the first one's rows from disk, with no server call.
    function test_cacheOpensWithoutServer() {
        const first = createTemporaryObject(clientComponent, testCase, {url: serverUrl, cacheDirectory: cacheFolder, active: true})
        tryCompare(first, "status", Client.Ready, 10000)
        compare(first.cacheDirectory, cacheFolder)
        verify(!first.fromCache)
        const count = first.tables.pets.count
        verify(count > 0)
        first.destroy() // its destructor writes the cache and waits for it
        wait(100)

        const second = createTemporaryObject(clientComponent, testCase, {url: serverUrl, cacheDirectory: cacheFolder})
        let opened = 0
        second.cacheOpened.connect(() => opened++)
        second.openCache()
        tryVerify(() => opened === 1, 5000)
        verify(second.fromCache)
        compare(second.status, Client.Disconnected) // no connection made
        compare(second.tables.pets.count, count)
        compare(second.tables.pets.loaded, true)
    }

    function test_unreachableServerIsReported() {
        const client = createTemporaryObject(clientComponent, testCase, {url: "http://127.0.0.1:9", active: true})
        tryVerify(() => client.errorString.length > 0, 10000)
        compare(client.error, Client.ConnectionError)
        verify(client.status === Client.Connecting || client.status === Client.Reconnecting)
        client.active = false
        compare(client.status, Client.Disconnected)
    }

    // docs/getting-started-qml.md shows snippets/getting_started.qml: run it.
    function test_gettingStartedSnippet() {
        const component = Qt.createComponent(Qt.resolvedUrl("snippets/getting_started.qml"))
        compare(component.status, Component.Ready, component.errorString())
        const window = component.createObject(null, {serverUrl: serverUrl})
        verify(window)
        try {
            let client = null
            let view = null
            // The Client and the TableView (not its header, a TableView too).
            for (let i = 0; i < window.contentData.length; ++i) {
                const object = window.contentData[i]
                if (object.tables !== undefined)
                    client = object
                else if (object.rows !== undefined && object.syncView !== undefined && object.textRole === undefined)
                    view = object
            }
            verify(client, "no Client in the snippet")
            verify(view, "no TableView in the snippet")
            tryCompare(client, "status", Client.Ready, 10000)
            // The binding model: client.tables.pets caught up with the schema.
            tryCompare(view, "rows", pets(reader).count, 5000)
            verify(view.rows > 0)
            compare(view.columns, 5)
        } finally {
            window.destroy()
        }
    }
}
