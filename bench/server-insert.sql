-- pgbench script: exactly the SQL the server sends for
-- POST /query/t {"name":"rate","value":0.5,"flag":true} (Routes::query,
-- SqlBuilder::buildCreate): three statements in one pipeline, one
-- implicit transaction. Run with -M extended (unnamed statements, parsed and
-- planned every time, as the server sends them) and -M prepared (what
-- prepared statements would save). Spaces after ':' keep pgbench from
-- reading ":true" as a variable.
\startpipeline
SELECT set_config('role', 'auth', true), set_config('request.jwt.claims', '{"role": "auth"}', true);
WITH _w AS (INSERT INTO "api"."t" AS _t ("flag", "name", "value") SELECT "flag", "name", "value" FROM json_populate_recordset(NULL::"api"."t", '[{"flag": true, "name": "rate", "value": 0.5}]'::json) RETURNING _t.*) SELECT coalesce(json_agg(_w), '[]')::text, count(*) FROM _w;
SELECT pg_current_xact_id()::text;
\endpipeline
