#pragma once

#include <QQmlPropertyMap>

namespace Aiodata {

// client.tables in QML: one property per table model. A subclass only for
// QQmlPropertyMap's (derived, parent) constructor, the one every Qt 6 has;
// the one-argument constructor is deprecated from Qt 6.11.
class TablesMap : public QQmlPropertyMap
{
    Q_OBJECT
public:
    explicit TablesMap(QObject *parent = nullptr)
        : QQmlPropertyMap(this, parent)
    {
    }
};

} // namespace Aiodata
