<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Aiodata::Client</name>
    <message>
        <location filename="../src/client/client.cpp" line="285"/>
        <source>Cannot reach the server: %1</source>
        <translation>Der Server ist nicht erreichbar: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="288"/>
        <source>The server answered %1.</source>
        <translation>Der Server antwortete mit %1.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="290"/>
        <source>Access refused: %1</source>
        <translation>Zugriff verweigert: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="292"/>
        <source>Server error: %1</source>
        <translation>Serverfehler: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="610"/>
        <source>The server sent an unreadable copy of table %1.</source>
        <translation>Der Server hat eine unlesbare Kopie der Tabelle %1 gesendet.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="724"/>
        <source>Lost the connection to the server: %1</source>
        <translation>Die Verbindung zum Server ist abgebrochen: %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="751"/>
        <source>A subset needs a selective stream: set Client::syncedTables.</source>
        <translation>Eine Teilmenge braucht einen selektiven Strom: Client::syncedTables setzen.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="795"/>
        <source>The server refused the subscription.</source>
        <translation>Der Server hat das Abonnement abgelehnt.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Reply</name>
    <message>
        <location filename="../src/client/reply.cpp" line="74"/>
        <source>The server could not be reached: %1</source>
        <translation>Der Server konnte nicht erreicht werden: %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="75"/>
        <source>No answer from the server; the write may still have been applied: %1</source>
        <translation>Keine Antwort vom Server; die Änderung wurde womöglich trotzdem ausgeführt: %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="88"/>
        <source>The server answered %1.</source>
        <translation>Der Server antwortete mit %1.</translation>
    </message>
</context>
<context>
    <name>Aiodata::TableModel</name>
    <message>
        <location filename="../src/client/tablemodel_p.h" line="383"/>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <location filename="../src/client/tablemodel.cpp" line="132"/>
        <source>%1
%2</source>
        <comment>column tooltip: type, comment</comment>
        <translation>%1
%2</translation>
    </message>
</context>
</TS>
