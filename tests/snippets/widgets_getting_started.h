#pragma once
#include <QString>
#include <QUrl>
class QWidget;
QWidget *makePetsWindow(const QUrl &server, const QString &token);
