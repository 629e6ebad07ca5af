<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>Aiodata::Viewer::AddRowDialog</name>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="21"/>
        <source>Add Row to %1</source>
        <translation>Ajouter une ligne à %1</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="28"/>
        <source>required</source>
        <translation>obligatoire</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="30"/>
        <source>empty: default</source>
        <translation>vide : valeur par défaut</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="32"/>
        <source>empty: NULL</source>
        <translation>vide : NULL</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="33"/>
        <source>%1, %2</source>
        <comment>placeholder: type, hint</comment>
        <translation>%1, %2</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="38"/>
        <source>%1 (key):</source>
        <translation>%1 (clé) :</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="38"/>
        <source>%1:</source>
        <translation>%1 :</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="79"/>
        <source>Fill in %1.</source>
        <translation>Renseignez %1.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::CellDelegate</name>
    <message>
        <location filename="../examples/viewer/celldelegate.cpp" line="27"/>
        <location filename="../examples/viewer/celldelegate.cpp" line="45"/>
        <location filename="../examples/viewer/celldelegate.cpp" line="59"/>
        <location filename="../examples/viewer/celldelegate.cpp" line="64"/>
        <source>NULL</source>
        <translation>NULL</translation>
    </message>
    <message>
        <location filename="../examples/viewer/celldelegate.cpp" line="30"/>
        <location filename="../examples/viewer/celldelegate.cpp" line="56"/>
        <source>true</source>
        <translation>vrai</translation>
    </message>
    <message>
        <location filename="../examples/viewer/celldelegate.cpp" line="30"/>
        <location filename="../examples/viewer/celldelegate.cpp" line="57"/>
        <source>false</source>
        <translation>faux</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::ColumnValue</name>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="47"/>
        <source>%1 needs a value.</source>
        <translation>%1 doit avoir une valeur.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="57"/>
        <source>%1 needs a whole number, not “%2”.</source>
        <translation>%1 attend un nombre entier, pas « %2 ».</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="65"/>
        <source>%1 needs a number, not “%2”.</source>
        <translation>%1 attend un nombre, pas « %2 ».</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="74"/>
        <source>true</source>
        <translation>vrai</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="76"/>
        <source>false</source>
        <translation>faux</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="78"/>
        <source>%1 needs true or false, not “%2”.</source>
        <translation>%1 attend vrai ou faux, pas « %2 ».</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="85"/>
        <source>%1 needs JSON, e.g. [1, 2] or {&quot;a&quot;: 1}.</source>
        <translation>%1 attend du JSON, par ex. [1, 2] ou {&quot;a&quot;: 1}.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::CommandLine</name>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="6"/>
        <source>Server URL, e.g. http://localhost:4000.</source>
        <translation>URL du serveur, par ex. http://localhost:4000.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="6"/>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="7"/>
        <source>JWT to authenticate with.</source>
        <translation>JWT pour s’authentifier.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="7"/>
        <source>token</source>
        <translation>jeton</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="8"/>
        <source>Connect without a token (read only).</source>
        <translation>Se connecter sans jeton (lecture seule).</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="9"/>
        <source>Keep the tables in this folder: they open from it at the next start, also without a server.</source>
        <translation>Garder les tables dans ce dossier : elles s’ouvrent depuis lui au prochain démarrage, même sans serveur.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="11"/>
        <source>folder</source>
        <translation>dossier</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="12"/>
        <source>User interface language, e.g. de or fr.</source>
        <translation>Langue de l’interface, par ex. de ou fr.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="12"/>
        <source>language</source>
        <translation>langue</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="14"/>
        <source>Shows the tables of an aiodata server, live.</source>
        <translation>Affiche les tables d’un serveur aiodata, en direct.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="42"/>
        <source>Not a server URL: %1</source>
        <translation>Ce n’est pas une URL de serveur : %1</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::ConnectDialog</name>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="17"/>
        <source>&amp;Read only (connect without a token)</source>
        <translation>&amp;Lecture seule (connexion sans jeton)</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="18"/>
        <source>Re&amp;member token (stored unencrypted)</source>
        <translation>&amp;Mémoriser le jeton (stocké en clair)</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="23"/>
        <source>Connect to an aiodata Server</source>
        <translation>Se connecter à un serveur aiodata</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="26"/>
        <source>JWT, e.g. eyJhbGciOi…</source>
        <translation>JWT, par ex. eyJhbGciOi…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="29"/>
        <source>&amp;Connect</source>
        <translation>Se &amp;connecter</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="32"/>
        <source>&amp;Server URL:</source>
        <translation>URL du &amp;serveur :</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="33"/>
        <source>&amp;Token:</source>
        <translation>&amp;Jeton :</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="74"/>
        <source>Enter the server&apos;s URL.</source>
        <translation>Saisissez l’URL du serveur.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="76"/>
        <source>Enter a token, or choose read only.</source>
        <translation>Saisissez un jeton ou choisissez la lecture seule.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::ErrorBanner</name>
    <message>
        <location filename="../examples/viewer/errorbanner.cpp" line="28"/>
        <source>Dismiss</source>
        <translation>Fermer</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::EventLog</name>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Time</source>
        <translation>Heure</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Table</source>
        <translation>Table</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Keys</source>
        <translation>Clés</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="44"/>
        <source>created</source>
        <translation>créé</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="46"/>
        <source>updated</source>
        <translation>modifié</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="48"/>
        <source>deleted</source>
        <translation>supprimé</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="58"/>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/eventlog.cpp" line="65"/>
        <source>(and %n more)</source>
        <translation>
            <numerusform>(et %n autre)</numerusform>
            <numerusform>(et %n autres)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::MainWindow</name>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="41"/>
        <source>Event Log</source>
        <translation>Journal des événements</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="89"/>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="90"/>
        <source>&amp;Connect…</source>
        <translation>Se &amp;connecter…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="93"/>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="96"/>
        <source>&amp;Edit</source>
        <translation>É&amp;dition</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="97"/>
        <source>&amp;Add Row…</source>
        <translation>&amp;Ajouter une ligne…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="99"/>
        <source>Add a row to the current table</source>
        <translation>Ajouter une ligne à la table affichée</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="100"/>
        <source>&amp;Delete Selected Rows</source>
        <translation>&amp;Supprimer les lignes sélectionnées</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="102"/>
        <source>Delete the selected rows from the database</source>
        <translation>Supprimer les lignes sélectionnées de la base de données</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="104"/>
        <source>&amp;Filter Rows</source>
        <translation>&amp;Filtrer les lignes</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="112"/>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="114"/>
        <source>&amp;Clear Event Log</source>
        <translation>&amp;Vider le journal des événements</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="116"/>
        <source>Main</source>
        <translation>Principale</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="232"/>
        <source>Disconnected</source>
        <translation>Déconnecté</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="234"/>
        <source>Connecting to %1…</source>
        <translation>Connexion à %1…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="236"/>
        <source>Loading tables from %1…</source>
        <translation>Chargement des tables de %1…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="238"/>
        <source>Connected to %1</source>
        <translation>Connecté à %1</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="240"/>
        <source>Connection to %1 lost; reconnecting…</source>
        <translation>Connexion à %1 perdue ; reconnexion…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="265"/>
        <source>%1 — showing the offline copy</source>
        <translation>%1 – copie hors ligne affichée</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="267"/>
        <source>%1 — %n change(s) not yet sent</source>
        <translation>
            <numerusform>%1 – %n modification pas encore envoyée</numerusform>
            <numerusform>%1 – %n modifications pas encore envoyées</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="267"/>
        <source>%1 (read only)</source>
        <translation>%1 (lecture seule)</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="269"/>
        <source>Not connected: choose File › Connect…</source>
        <translation>Non connecté : choisissez Fichier › Se connecter…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="296"/>
        <source>The server refused the token. %1
Choose File › Connect… to enter another token or to connect read only.</source>
        <translation>Le serveur a refusé le jeton. %1
Choisissez Fichier › Se connecter… pour saisir un autre jeton ou vous connecter en lecture seule.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="300"/>
        <source>No connection to the server. %1
Retrying…</source>
        <translation>Pas de connexion au serveur. %1
Nouvelle tentative…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="305"/>
        <source>The server reported a problem. %1</source>
        <translation>Le serveur signale un problème. %1</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="328"/>
        <source>All tables loaded.</source>
        <translation>Toutes les tables sont chargées.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="359"/>
        <source>%1: 1 row</source>
        <translation>%1 : 1 ligne</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="359"/>
        <source>%1: %n rows</source>
        <translation>
            <numerusform>%1 : %n ligne</numerusform>
            <numerusform>%1 : %n lignes</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="361"/>
        <source>%1: %2 of 1 row shown</source>
        <translation>%1 : %2 sur 1 ligne</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="363"/>
        <source>%1: %2 of %n rows shown</source>
        <translation>
            <numerusform>%1 : %2 sur %n ligne</numerusform>
            <numerusform>%1 : %2 sur %n lignes</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="424"/>
        <source>Deleting 1 row…</source>
        <translation>Suppression d’une ligne…</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="424"/>
        <source>Deleting %n rows…</source>
        <translation>
            <numerusform>Suppression de %n ligne…</numerusform>
            <numerusform>Suppression de %n lignes…</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="379"/>
        <source>aiodata viewer</source>
        <translation>Visionneuse aiodata</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="383"/>
        <source>%1 (read only) – aiodata viewer</source>
        <translation>%1 (lecture seule) – Visionneuse aiodata</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="384"/>
        <source>%1 – aiodata viewer</source>
        <translation>%1 – Visionneuse aiodata</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::TablePage</name>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="38"/>
        <source>Filter rows (all columns)…</source>
        <translation>Filtrer les lignes (toutes les colonnes)…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="67"/>
        <source>The change to %1 was refused: %2</source>
        <translation>La modification de %1 a été refusée : %2</translation>
    </message>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="129"/>
        <source>Could not delete %1 from %2: %3</source>
        <translation>Impossible de supprimer %1 de %2 : %3</translation>
    </message>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="142"/>
        <source>Could not add the row to %1: %2</source>
        <translation>Impossible d’ajouter la ligne à %1 : %2</translation>
    </message>
</context>
</TS>
