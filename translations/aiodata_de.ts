<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Aiodata::Client</name>
    <message>
        <location filename="../src/client/client.cpp" line="151"/>
        <source>Cannot reach the server: %1</source>
        <translation>Der Server ist nicht erreichbar: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="154"/>
        <source>The server answered %1.</source>
        <translation>Der Server antwortete mit %1.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="156"/>
        <source>Access refused: %1</source>
        <translation>Zugriff verweigert: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="158"/>
        <source>Server error: %1</source>
        <translation>Serverfehler: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="313"/>
        <source>Lost the connection to the server: %1</source>
        <translation>Die Verbindung zum Server ist abgebrochen: %1</translation>
    </message>
</context>
<context>
    <name>Aiodata::Reply</name>
    <message>
        <location filename="../src/client/reply.cpp" line="67"/>
        <source>The server could not be reached: %1</source>
        <translation>Der Server konnte nicht erreicht werden: %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="79"/>
        <source>The server answered %1.</source>
        <translation>Der Server antwortete mit %1.</translation>
    </message>
</context>
<context>
    <name>Aiodata::TableModel</name>
    <message>
        <location filename="../src/client/tablemodel.cpp" line="335"/>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <location filename="../src/client/tablemodel.cpp" line="404"/>
        <source>%1
%2</source>
        <comment>column tooltip: type, comment</comment>
        <translation>%1
%2</translation>
    </message>
</context>
</TS>
