-- pgbench script of benchmark 3: the same single-row INSERT that
-- POST /query/t with {"name":"rate","value":0.5,"flag":true} makes.
INSERT INTO api.t (name, value, flag) VALUES ('rate', 0.5, true);
