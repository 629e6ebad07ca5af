<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>Aiodata::Client</name>
    <message>
        <location filename="../src/client/client.cpp" line="285"/>
        <source>Cannot reach the server: %1</source>
        <translation>Impossible de joindre le serveur : %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="288"/>
        <source>The server answered %1.</source>
        <translation>Le serveur a répondu %1.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="290"/>
        <source>Access refused: %1</source>
        <translation>Accès refusé : %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="292"/>
        <source>Server error: %1</source>
        <translation>Erreur du serveur : %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="610"/>
        <source>The server sent an unreadable copy of table %1.</source>
        <translation>Le serveur a envoyé une copie illisible de la table %1.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="724"/>
        <source>Lost the connection to the server: %1</source>
        <translation>Connexion au serveur perdue : %1</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="751"/>
        <source>A subset needs a selective stream: set Client::syncedTables.</source>
        <translation>Un sous-ensemble demande un flux sélectif : définissez Client::syncedTables.</translation>
    </message>
    <message>
        <location filename="../src/client/client.cpp" line="795"/>
        <source>The server refused the subscription.</source>
        <translation>Le serveur a refusé l’abonnement.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Reply</name>
    <message>
        <location filename="../src/client/reply.cpp" line="74"/>
        <source>The server could not be reached: %1</source>
        <translation>Le serveur n’a pas pu être joint : %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="75"/>
        <source>No answer from the server; the write may still have been applied: %1</source>
        <translation>Pas de réponse du serveur ; la modification a peut-être quand même été appliquée : %1</translation>
    </message>
    <message>
        <location filename="../src/client/reply.cpp" line="88"/>
        <source>The server answered %1.</source>
        <translation>Le serveur a répondu %1.</translation>
    </message>
</context>
<context>
    <name>Aiodata::TableModel</name>
    <message>
        <location filename="../src/client/tablemodel_p.h" line="383"/>
        <source>Not connected</source>
        <translation>Non connecté</translation>
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
