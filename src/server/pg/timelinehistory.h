#pragma once

#include <QByteArray>
#include <QList>

#include <optional>

namespace Aiodata::Server {

// A timeline history file as TIMELINE_HISTORY returns it: one line per
// ancestor timeline, "<timeline>\t<switch point LSN>\t<reason>", where the
// switch point is where the next timeline branched off. Records before a
// switch point are common to both timelines; after it they are not. Pure.
struct TimelineHistory
{
    struct Entry
    {
        int timeline = 0;
        quint64 switchPoint = 0;
    };
    QList<Entry> ancestors;        // oldest first

    // std::nullopt on a line that is not "<number>\t<lsn>..." (blank lines
    // and # comments are skipped, as PostgreSQL does).
    static std::optional<TimelineHistory> parse(const QByteArray &text);

    // Whether a position reached on timeline `timeline` is part of the
    // history that leads to the current timeline (current: always).
    bool contains(int timeline, quint64 position, int current) const;
};

} // namespace Aiodata::Server
