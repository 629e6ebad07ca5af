-- The quickstart schema: roles anon (read) and auth (all) on schema api,
-- plus the login role the server connects as (PostgREST's "authenticator").
-- Roles are cluster-wide, so their creation tolerates existing ones.
DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE auth NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticator LOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT anon TO authenticator;
GRANT auth TO authenticator;

CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO anon;
GRANT USAGE ON SCHEMA api TO auth;

CREATE TABLE api.pets
(
  type TEXT,
  breed TEXT,
  name TEXT,
  color INT,
  groomed BOOL DEFAULT FALSE,
  PRIMARY KEY(type, breed, name)
);
COMMENT ON TABLE api.pets IS 'Our pets, by type, breed and name.';

GRANT SELECT ON api.pets TO anon; -- missing token means we can only read
GRANT ALL    ON api.pets TO auth; -- having token means we can do anything

-- Change capture: the server streams this publication through a temporary
-- logical replication slot, so writes by psql and other services reach
-- clients too. (Without these, the server falls back to its own writes.)
ALTER ROLE authenticator REPLICATION;
CREATE PUBLICATION aiodata FOR TABLES IN SCHEMA api;
