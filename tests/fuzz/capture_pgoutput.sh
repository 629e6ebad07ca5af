#!/usr/bin/env bash
# Regenerates tests/fuzz/corpus/fuzz_pgoutput/ from a real PostgreSQL: runs
# typical transactions on the pets schema and reads what pgoutput (protocol
# version 1, as PgReplicationStream asks for) makes of them through
# pg_logical_slot_get_binary_changes. Each corpus file is one transaction's
# messages (with the Relation messages it needs) in fuzz_pgoutput's framing:
# 2-byte big-endian length, then the message.
#   AIODATA_DB_PORT (default 55461), AIODATA_DB_DIR (default build-fuzz/capture-db)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export AIODATA_DB_PORT=${AIODATA_DB_PORT:-55461}
export AIODATA_DB_DIR=${AIODATA_DB_DIR:-$root/build-fuzz/capture-db}
export AIODATA_DB_FAST=1
admin=$("$root/scripts/devdb" start)
db=${admin%/postgres}/fuzz_capture
out=$root/tests/fuzz/corpus/fuzz_pgoutput
psql -q "$admin" -c "DROP DATABASE IF EXISTS fuzz_capture" -c "CREATE DATABASE fuzz_capture" >/dev/null
psql -q -v ON_ERROR_STOP=1 "$db" -f "$root/examples/pets.sql" >/dev/null
psql -q -v ON_ERROR_STOP=1 "$db" >/dev/null <<'SQL'
CREATE TABLE api.items (id serial PRIMARY KEY, label text, tags text[], doc jsonb);
ALTER TABLE api.items REPLICA IDENTITY FULL;
CREATE TABLE api.notes (id int PRIMARY KEY, body text, seen bool);
ALTER TABLE api.notes ALTER body SET STORAGE EXTERNAL; -- out of line from 2 kB: 'u' (unchanged TOAST) in updates
SELECT pg_create_logical_replication_slot('fuzz_capture', 'pgoutput');
INSERT INTO api.pets VALUES ('Dog', 'Shiba Inu', 'Munch', 16766362, false);
INSERT INTO api.pets VALUES ('Fish', 'Koi', 'Aqui', NULL, false), ('Fish', 'Koi', 'Bubbles', 3, true);
UPDATE api.pets SET groomed = true WHERE type = 'Dog';
UPDATE api.pets SET name = 'Bubble' WHERE name = 'Bubbles';
DELETE FROM api.pets WHERE name = 'Aqui';
INSERT INTO api.items (label, tags, doc) VALUES ('a "quoted" label', '{x,y}', '{"k": [1, null, "z"]}'), (E'tab\there', NULL, NULL);
UPDATE api.items SET tags = '{z}' WHERE id = 2;
INSERT INTO api.notes VALUES (1, repeat('0123456789abcdef', 130), false);
UPDATE api.notes SET seen = true;
BEGIN;
INSERT INTO api.pets VALUES ('Cat', 'Persian', 'Tom', 1, false);
UPDATE api.items SET label = 'b' WHERE id = 1;
DELETE FROM api.pets WHERE type = 'Dog';
COMMIT;
TRUNCATE api.items;
SQL
psql -At -v ON_ERROR_STOP=1 "$db" -c "SELECT xid, encode(data, 'hex') FROM pg_logical_slot_get_binary_changes('fuzz_capture', NULL, NULL, 'proto_version', '1', 'publication_names', 'aiodata')" \
  | python3 -c '
import sys, struct, os
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
relations = {}
txns, current = [], None
for line in sys.stdin:
    xid, hexdata = line.strip().split("|")
    m = bytes.fromhex(hexdata)
    if m[:1] == b"B":
        current = [m]
    elif m[:1] == b"R":
        relations[m[1:5]] = m
        current.append(m)
    elif current is not None:
        current.append(m)
        if m[:1] == b"C":
            txns.append(current)
            current = None
seen = b"".join(relations.values())
for i, t in enumerate(txns):
    used = [r for r in relations.values() if r not in t and any(x[:1] in b"IUD" and x[1:5] == r[1:5] for x in t)]
    data = b"".join(struct.pack(">H", len(m)) + m for m in used + t)
    open(os.path.join(out, "captured-%02d" % i), "wb").write(data)
everything = [m for t in txns for m in t]
open(os.path.join(out, "captured-stream"), "wb").write(b"".join(struct.pack(">H", len(m)) + m for m in everything))
print(len(txns), "transactions")
' "$out"
psql -q "$admin" -c "DROP DATABASE fuzz_capture" >/dev/null
