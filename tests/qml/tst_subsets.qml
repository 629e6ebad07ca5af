// Subset models from QML (issue 18): client.model(table, query) in a binding,
// on a client with a selective stream, against the real server (see
// tst_qml.cpp for serverUrl and authToken).

import QtQuick
import QtTest
import Aiodata 1.0

TestCase {
    id: testCase
    name: "Subsets"
    width: 400
    height: 200
    when: windowShown

    Client {
        id: client
        url: serverUrl
        syncedTables: []
        active: true
    }

    Client {
        id: fullClient
        url: serverUrl
        active: true
    }

    TableView {
        id: dogsView
        width: 400
        height: 200
        // Called again whenever status changes: the same model each time.
        model: client.status === Client.Ready ? client.model("pets", "type=eq.Dog&select=name") : null
        delegate: Text { text: display ?? ""; padding: 2 }
    }

    // The same, declared: made before the client is ready.
    SubsetModel {
        id: cats
        client: client
        table: "pets"
        query: "type=eq.Cat"
    }

    function request(method, path, body) {
        const result = {done: false, status: 0, body: null}
        const xhr = new XMLHttpRequest()
        xhr.onreadystatechange = () => {
            if (xhr.readyState === XMLHttpRequest.DONE) {
                result.status = xhr.status
                result.body = xhr.responseText ? JSON.parse(xhr.responseText) : null
                result.done = true
            }
        }
        xhr.open(method, serverUrl + path)
        xhr.setRequestHeader("Authorization", "Bearer " + authToken)
        xhr.setRequestHeader("Content-Type", "application/json")
        xhr.send(body === undefined ? "" : JSON.stringify(body))
        tryCompare(result, "done", true, 5000)
        return result
    }

    // 200 or 204: with or without a body, as the server's Prefer default has it.
    function succeeded(result) {
        return result.status >= 200 && result.status < 300
    }

    // The model's rows as "type/breed/name" texts, sorted.
    function keys(rows) {
        return rows.map(r => r.type + "/" + r.breed + "/" + r.name).sort()
    }

    function initTestCase() {
        verify(setupError === "", "database or server did not start: " + setupError)
        tryCompare(client, "status", Client.Ready, 10000)
        tryCompare(fullClient, "status", Client.Ready, 10000)
    }

    function test_modelOfAQuery() {
        const dogs = dogsView.model
        verify(dogs)
        compare(client.model("pets", "type=eq.Dog&select=name"), dogs)
        compare(dogs.name, "pets")
        compare(dogs.query, "type=eq.Dog&select=name")
        compare(dogs.columnNames, ["type", "breed", "name"])
        tryCompare(dogs, "loaded", true, 5000)
        // No whole table on this client.
        compare(client.tableNames, [])
        compare(client.table("pets"), null)

        const rest = request("GET", "/query/pets?type=eq.Dog&select=type,breed,name")
        compare(rest.status, 200)
        compare(keys(dogs.get()), keys(rest.body))
        tryCompare(dogsView, "rows", dogs.count, 5000)

        // A dog written elsewhere moves in; made a cat, it moves out.
        const before = dogs.count
        compare(request("POST", "/query/pets", {type: "Dog", breed: "Shiba", name: "Ken"}).status, 201)
        tryCompare(dogs, "count", before + 1, 5000)
        verify(dogs.indexOfKey(["Dog", "Shiba", "Ken"]) >= 0)
        verify(succeeded(request("PATCH", "/query/pets?name=eq.Ken", {type: "Cat"})))
        tryCompare(dogs, "count", before, 5000)
        verify(succeeded(request("DELETE", "/query/pets?name=eq.Ken")))
    }

    function test_declaredSubset() {
        tryVerify(() => cats.model !== null, 5000)
        compare(cats.model, client.model("pets", "type=eq.Cat"))
        tryCompare(cats.model, "loaded", true, 5000)
        compare(cats.rowCount(), cats.model.count)
        const before = cats.model.count
        compare(request("POST", "/query/pets", {type: "Cat", breed: "Tabby", name: "Zoe"}).status, 201)
        tryCompare(cats.model, "count", before + 1, 5000)
        compare(cats.rowCount(), before + 1)
        verify(succeeded(request("DELETE", "/query/pets?name=eq.Zoe")))
        tryCompare(cats.model, "count", before, 5000)
        // Another query, another model.
        cats.query = "type=eq.Cat&select=color"
        verify(cats.model !== client.model("pets", "type=eq.Cat"))
        compare(cats.model.columnNames, ["type", "breed", "name", "color"])
        cats.query = "type=eq.Cat"
    }

    function test_refusedQuery() {
        const bad = client.model("pets", "colour=eq.1")
        verify(bad)
        tryVerify(() => bad.errorString !== "", 5000)
        verify(bad.errorString.indexOf("colour") >= 0, bad.errorString)
        compare(bad.loaded, false)
    }

    function test_fullStreamHasNoSubsets() {
        // syncedTables ["*"], the default: every table, no subsets.
        compare(fullClient.syncedTables, ["*"])
        verify(fullClient.table("pets"))
        compare(fullClient.model("pets", "type=eq.Dog"), null)
    }
}
