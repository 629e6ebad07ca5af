#pragma once

// Header-only, for the client's unit tests: a model's keys as text, to
// compare its rows and their order in one QCOMPARE.

#include "tablemodel.h"

#include <QStringList>

// "Fish/Koi/Aqui" for each row, in model order.
inline QStringList keys(const Aiodata::TableModel &model)
{
    QStringList result;
    for (int row = 0; row < model.rowCount(); ++row) {
        QStringList parts;
        for (const QVariant &value : model.keyOf(row))
            parts.append(value.toString());
        result.append(parts.join(u'/'));
    }
    return result;
}
