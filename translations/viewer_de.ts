<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>Aiodata::Viewer::AddRowDialog</name>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="21"/>
        <source>Add Row to %1</source>
        <translation>Zeile zu %1 hinzufügen</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="28"/>
        <source>required</source>
        <translation>Pflichtfeld</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="30"/>
        <source>empty: default</source>
        <translation>leer: Vorgabewert</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="32"/>
        <source>empty: NULL</source>
        <translation>leer: NULL</translation>
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
        <translation>%1 (Schlüssel):</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="38"/>
        <source>%1:</source>
        <translation>%1:</translation>
    </message>
    <message>
        <location filename="../examples/viewer/addrowdialog.cpp" line="79"/>
        <source>Fill in %1.</source>
        <translation>Bitte %1 ausfüllen.</translation>
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
        <translation>wahr</translation>
    </message>
    <message>
        <location filename="../examples/viewer/celldelegate.cpp" line="30"/>
        <location filename="../examples/viewer/celldelegate.cpp" line="57"/>
        <source>false</source>
        <translation>falsch</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::ColumnValue</name>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="47"/>
        <source>%1 needs a value.</source>
        <translation>%1 braucht einen Wert.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="57"/>
        <source>%1 needs a whole number, not “%2”.</source>
        <translation>%1 braucht eine ganze Zahl, nicht „%2“.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="65"/>
        <source>%1 needs a number, not “%2”.</source>
        <translation>%1 braucht eine Zahl, nicht „%2“.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="74"/>
        <source>true</source>
        <translation>wahr</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="76"/>
        <source>false</source>
        <translation>falsch</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="78"/>
        <source>%1 needs true or false, not “%2”.</source>
        <translation>%1 braucht wahr oder falsch, nicht „%2“.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/columnvalue.cpp" line="85"/>
        <source>%1 needs JSON, e.g. [1, 2] or {&quot;a&quot;: 1}.</source>
        <translation>%1 braucht JSON, z. B. [1, 2] oder {&quot;a&quot;: 1}.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::CommandLine</name>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="6"/>
        <source>Server URL, e.g. http://localhost:4000.</source>
        <translation>Server-URL, z. B. http://localhost:4000.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="6"/>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="7"/>
        <source>JWT to authenticate with.</source>
        <translation>JWT zur Anmeldung.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="7"/>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="8"/>
        <source>Connect without a token (read only).</source>
        <translation>Ohne Token verbinden (nur lesen).</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="9"/>
        <source>Keep the tables in this folder: they open from it at the next start, also without a server.</source>
        <translation>Die Tabellen in diesem Ordner behalten: Beim nächsten Start öffnen sie sich daraus, auch ohne Server.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="11"/>
        <source>folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="12"/>
        <source>User interface language, e.g. de or fr.</source>
        <translation>Sprache der Oberfläche, z. B. de oder fr.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="12"/>
        <source>language</source>
        <translation>sprache</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="14"/>
        <source>Shows the tables of an aiodata server, live.</source>
        <translation>Zeigt die Tabellen eines aiodata-Servers, live.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/commandline.cpp" line="42"/>
        <source>Not a server URL: %1</source>
        <translation>Keine Server-URL: %1</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::ConnectDialog</name>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="17"/>
        <source>&amp;Read only (connect without a token)</source>
        <translation>&amp;Nur lesen (ohne Token verbinden)</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="18"/>
        <source>Re&amp;member token (stored unencrypted)</source>
        <translation>Token &amp;merken (unverschlüsselt gespeichert)</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="23"/>
        <source>Connect to an aiodata Server</source>
        <translation>Mit einem aiodata-Server verbinden</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="26"/>
        <source>JWT, e.g. eyJhbGciOi…</source>
        <translation>JWT, z. B. eyJhbGciOi…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="29"/>
        <source>&amp;Connect</source>
        <translation>&amp;Verbinden</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="32"/>
        <source>&amp;Server URL:</source>
        <translation>&amp;Server-URL:</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="33"/>
        <source>&amp;Token:</source>
        <translation>&amp;Token:</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="74"/>
        <source>Enter the server&apos;s URL.</source>
        <translation>Geben Sie die URL des Servers ein.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/connectdialog.cpp" line="76"/>
        <source>Enter a token, or choose read only.</source>
        <translation>Geben Sie ein Token ein oder wählen Sie „Nur lesen“.</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::ErrorBanner</name>
    <message>
        <location filename="../examples/viewer/errorbanner.cpp" line="28"/>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::EventLog</name>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Table</source>
        <translation>Tabelle</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="18"/>
        <source>Keys</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="44"/>
        <source>created</source>
        <translation>angelegt</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="46"/>
        <source>updated</source>
        <translation>geändert</translation>
    </message>
    <message>
        <location filename="../examples/viewer/eventlog.cpp" line="48"/>
        <source>deleted</source>
        <translation>gelöscht</translation>
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
            <numerusform>(und %n weiterer)</numerusform>
            <numerusform>(und %n weitere)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::MainWindow</name>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="41"/>
        <source>Event Log</source>
        <translation>Ereignisprotokoll</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="89"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="90"/>
        <source>&amp;Connect…</source>
        <translation>&amp;Verbinden…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="93"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="96"/>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="97"/>
        <source>&amp;Add Row…</source>
        <translation>&amp;Zeile hinzufügen…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="99"/>
        <source>Add a row to the current table</source>
        <translation>Der aktuellen Tabelle eine Zeile hinzufügen</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="100"/>
        <source>&amp;Delete Selected Rows</source>
        <translation>Ausgewählte Zeilen &amp;löschen</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="102"/>
        <source>Delete the selected rows from the database</source>
        <translation>Die ausgewählten Zeilen aus der Datenbank löschen</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="104"/>
        <source>&amp;Filter Rows</source>
        <translation>Zeilen &amp;filtern</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="112"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="114"/>
        <source>&amp;Clear Event Log</source>
        <translation>Ereignisprotokoll &amp;leeren</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="116"/>
        <source>Main</source>
        <translation>Hauptleiste</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="232"/>
        <source>Disconnected</source>
        <translation>Getrennt</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="234"/>
        <source>Connecting to %1…</source>
        <translation>Verbinde mit %1…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="236"/>
        <source>Loading tables from %1…</source>
        <translation>Lade Tabellen von %1…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="238"/>
        <source>Connected to %1</source>
        <translation>Verbunden mit %1</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="240"/>
        <source>Connection to %1 lost; reconnecting…</source>
        <translation>Verbindung zu %1 verloren; verbinde erneut…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="265"/>
        <source>%1 — showing the offline copy</source>
        <translation>%1 – zeigt die Offline-Kopie</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="267"/>
        <source>%1 — %n change(s) not yet sent</source>
        <translation>
            <numerusform>%1 – %n Änderung noch nicht gesendet</numerusform>
            <numerusform>%1 – %n Änderungen noch nicht gesendet</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="267"/>
        <source>%1 (read only)</source>
        <translation>%1 (nur lesen)</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="269"/>
        <source>Not connected: choose File › Connect…</source>
        <translation>Nicht verbunden: Datei › Verbinden… wählen</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="296"/>
        <source>The server refused the token. %1
Choose File › Connect… to enter another token or to connect read only.</source>
        <translation>Der Server hat das Token abgelehnt. %1
Wählen Sie Datei › Verbinden…, um ein anderes Token einzugeben oder nur lesend zu verbinden.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="300"/>
        <source>No connection to the server. %1
Retrying…</source>
        <translation>Keine Verbindung zum Server. %1
Neuer Versuch läuft…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="305"/>
        <source>The server reported a problem. %1</source>
        <translation>Der Server meldet ein Problem. %1</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="328"/>
        <source>All tables loaded.</source>
        <translation>Alle Tabellen geladen.</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="359"/>
        <source>%1: 1 row</source>
        <translation>%1: 1 Zeile</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="359"/>
        <source>%1: %n rows</source>
        <translation>
            <numerusform>%1: %n Zeile</numerusform>
            <numerusform>%1: %n Zeilen</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="361"/>
        <source>%1: %2 of 1 row shown</source>
        <translation>%1: %2 von 1 Zeile angezeigt</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="363"/>
        <source>%1: %2 of %n rows shown</source>
        <translation>
            <numerusform>%1: %2 von %n Zeile angezeigt</numerusform>
            <numerusform>%1: %2 von %n Zeilen angezeigt</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="424"/>
        <source>Deleting 1 row…</source>
        <translation>Lösche 1 Zeile…</translation>
    </message>
    <message numerus="yes">
        <location filename="../examples/viewer/mainwindow.cpp" line="424"/>
        <source>Deleting %n rows…</source>
        <translation>
            <numerusform>Lösche %n Zeile…</numerusform>
            <numerusform>Lösche %n Zeilen…</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="379"/>
        <source>aiodata viewer</source>
        <translation>aiodata-Viewer</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="383"/>
        <source>%1 (read only) – aiodata viewer</source>
        <translation>%1 (nur lesen) – aiodata-Viewer</translation>
    </message>
    <message>
        <location filename="../examples/viewer/mainwindow.cpp" line="384"/>
        <source>%1 – aiodata viewer</source>
        <translation>%1 – aiodata-Viewer</translation>
    </message>
</context>
<context>
    <name>Aiodata::Viewer::TablePage</name>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="38"/>
        <source>Filter rows (all columns)…</source>
        <translation>Zeilen filtern (alle Spalten)…</translation>
    </message>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="67"/>
        <source>The change to %1 was refused: %2</source>
        <translation>Die Änderung an %1 wurde abgelehnt: %2</translation>
    </message>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="129"/>
        <source>Could not delete %1 from %2: %3</source>
        <translation>%1 konnte nicht aus %2 gelöscht werden: %3</translation>
    </message>
    <message>
        <location filename="../examples/viewer/tablepage.cpp" line="142"/>
        <source>Could not add the row to %1: %2</source>
        <translation>Die Zeile konnte nicht zu %1 hinzugefügt werden: %2</translation>
    </message>
</context>
</TS>
