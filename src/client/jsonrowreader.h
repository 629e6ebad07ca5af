#pragma once

// Internal to the client library: not installed, not exported.

#include "packedrow.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

namespace Aiodata::Internal {

// Reads a snapshot (GET /query/<table>: a JSON array of flat objects) straight
// into PackedRows, one cell per column in column order, without building a
// QJsonDocument first. The document alone cost 0.6x the fetch, and its many
// small blocks fragmented the heap under the rows (docs/performance.md,
// figures 6 and 7).
//
// It accepts only that shape, and only what QJsonDocument would read the same
// way: anything else (not an array, an element that is no object, a
// duplicate key, a lone surrogate, invalid UTF-8, a number out of double's
// range, ...) makes read() return false, and the caller parses the body with
// QJsonDocument as before. Objects and arrays in a cell are checked and
// compacted by QJsonDocument, for that cell only. Keys that are no column
// are skipped, missing columns are null, as TableModel::replaceRows() does.
//
// A body can also be read while it arrives (figure 6: the rows are read
// during the transfer): begin(), then feed() with all of the body received
// so far each time more has come, and once more with complete set. Each
// feed reads the rows complete by then and keeps its place; an element cut
// short is read again with more of the body.
class JsonRowReader
{
public:
    explicit JsonRowReader(const QStringList &columns);

    // The whole body at once: begin(), feed(json, true), takeRows().
    bool read(QByteArrayView json, QList<PackedRow> *rows);

    void begin(qsizetype expectedSize = -1); // -1: not known
    // received: the body so far, the same bytes as last time and more. False
    // once the body is known not to be the expected shape; with complete
    // set, also if it is not all there.
    bool feed(QByteArrayView received, bool complete);
    QList<PackedRow> takeRows();
    qsizetype rowsRead() const { return m_rows.size(); } // not yet taken

    // Why read() or feed() returned false, with the byte offset.
    QString errorString() const { return m_error; }

private:
    enum class State { Start, First, Element, Separator, Done };

    bool fail(const char *reason);
    void skipSpace();
    // After an element or member: ',' (then More) or close (then Closed).
    enum class After { More, Closed, Bad };
    After afterItem(char close);
    bool readObject(QList<PackedRow> *rows);
    // The decoded UTF-8: a view of the body, or of m_string after an escape
    // (valid until the next string).
    bool readString(QByteArrayView *text);
    bool readValue(QByteArray &out);  // appends one cell
    bool readNumber(QByteArray &out);
    bool readNested(QByteArray &out);
    bool readLiteral(const char *word, qsizetype size);
    int findColumn(QByteArrayView key, int expected) const;

    QList<QByteArray> m_columns; // names as UTF-8
    // Where a body read in pieces is.
    State m_state = State::Start;
    qsizetype m_consumed = 0;     // bytes read, up to the element cut short
    qsizetype m_retryAt = 0;      // read again once this much has arrived
    qsizetype m_expectedSize = -1;
    bool m_failed = false;
    QList<PackedRow> m_rows;
    const char *m_begin = nullptr;
    const char *m_p = nullptr;
    const char *m_end = nullptr;
    QString m_error;
    // Scratch buffers reused from row to row.
    QByteArray m_row;
    QByteArray m_string; // a string with escapes, decoded
    QByteArray m_skipped;
    QList<qsizetype> m_cellStart; // per column: offset in m_row, -1 when absent
    QList<qsizetype> m_cellEnd;
};

} // namespace Aiodata::Internal
