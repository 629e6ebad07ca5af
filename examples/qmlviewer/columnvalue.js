// Text as users type it <-> cell values as the server takes them, by the
// column's PostgreSQL type (TableModel.columns[i].type). Empty text is NULL.

function kind(column) {
    const type = column.type
    if (type.endsWith("[]") || type === "json" || type === "jsonb")
        return "json"
    if (type === "smallint" || type === "integer" || type === "bigint")
        return "integer"
    if (type === "real" || type === "double precision" || type.startsWith("numeric"))
        return "real"
    if (type === "boolean")
        return "boolean"
    return "text"
}

// Key columns and NOT NULL ones without a default must be given.
function isRequired(column) {
    return column.primaryKey || (!column.nullable && !column.hasDefault)
}

// {value: v} or {error: "words for the user"}.
function fromText(column, text) {
    const trimmed = text.trim()
    if (trimmed === "")
        return {value: null}
    switch (kind(column)) {
    case "integer": {
        const n = Number(trimmed)
        return Number.isInteger(n) ? {value: n} : {error: qsTr("%1 takes a whole number.").arg(column.name)}
    }
    case "real": {
        const n = Number(trimmed)
        return isFinite(n) ? {value: n} : {error: qsTr("%1 takes a number.").arg(column.name)}
    }
    case "boolean": {
        const t = trimmed.toLowerCase()
        if (["true", "t", "yes", "1"].includes(t))
            return {value: true}
        if (["false", "f", "no", "0"].includes(t))
            return {value: false}
        return {error: qsTr("%1 takes true or false.").arg(column.name)}
    }
    case "json":
        try {
            return {value: JSON.parse(trimmed)}
        } catch (e) {
            return {error: qsTr("%1 takes JSON, e.g. [1, 2].").arg(column.name)}
        }
    }
    return {value: text}
}

// Editable text for a value: JSON for arrays and objects, empty for NULL.
function toText(value) {
    if (value === null || value === undefined)
        return ""
    if (typeof value === "object")
        return JSON.stringify(value)
    return String(value)
}
