#include "pg/timelinehistory.h"

#include "pg/pgreplicationstream.h"

namespace Aiodata::Server {

std::optional<TimelineHistory> TimelineHistory::parse(const QByteArray &text)
{
    TimelineHistory history;
    for (const QByteArray &rawLine : text.split('\n')) {
        const QByteArray line = rawLine.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QList<QByteArray> fields = line.split('\t');
        bool ok = false;
        const int timeline = fields.value(0).trimmed().toInt(&ok);
        const quint64 switchPoint = PgReplicationStream::parseLsn(fields.value(1).trimmed());
        if (!ok || timeline <= 0 || fields.size() < 2 || (switchPoint == 0 && fields.value(1).trimmed() != "0/0"))
            return std::nullopt;
        // Timelines grow along a history, and so do switch points.
        if (!history.ancestors.isEmpty()
            && (timeline <= history.ancestors.last().timeline || switchPoint < history.ancestors.last().switchPoint))
            return std::nullopt;
        history.ancestors.append(Entry{timeline, switchPoint});
    }
    return history;
}

bool TimelineHistory::contains(int timeline, quint64 position, int current) const
{
    if (timeline == current)
        return true;
    for (const Entry &e : ancestors) {
        if (e.timeline == timeline)
            return position < e.switchPoint;
    }
    return false;
}

} // namespace Aiodata::Server
