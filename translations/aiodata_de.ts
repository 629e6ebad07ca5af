<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Aiodata::Client</name>
    <message>
        <location filename="../src/client/client.cpp" line="166"/>
        <source>Cannot reach the server: %1</source>
        <translation>Der Server ist nicht erreichbar: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="169"/>
        <source>The server answered %1.</source>
        <translation>Der Server antwortete mit %1.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="171"/>
        <source>Access refused: %1</source>
        <translation>Zugriff verweigert: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="173"/>
        <source>Server error: %1</source>
        <translation>Serverfehler: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="310"/>
        <source>The server sent an unreadable copy of table %1.</source>
        <translation>Der Server hat eine unlesbare Kopie der Tabelle %1 gesendet.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="377"/>
        <source>Lost the connection to the server: %1</source>
        <translation>Die Verbindung zum Server ist abgebrochen: %1</translation>
    </message>
</context>
<context>
    <name>Aiodata::Reply</name>
    <message>
        <location filename="../src/client/reply.cpp" line="72"/>
        <source>The server could not be reached: %1</source>
        <translation>Der Server konnte nicht erreicht werden: %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="73"/>
        <source>No answer from the server; the write may still have been applied: %1</source>
        <translation>Keine Antwort vom Server; die Änderung wurde womöglich trotzdem ausgeführt: %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="86"/>
        <source>The server answered %1.</source>
        <translation>Der Server antwortete mit %1.</translation>
    </message>
</context>
<context>
    <name>Aiodata::TableModel</name>
    <message>
        <location filename="../src/client/tablemodel.cpp" line="354"/>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <location filename="../src/client/tablemodel.cpp" line="446"/>
        <source>%1
%2</source>
        <comment>column tooltip: type, comment</comment>
        <translation>%1
%2</translation>
    </message>
</context>
</TS>
