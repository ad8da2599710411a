-- API keys apart from partners: a principal (partner or admin) holds several keys, so a key can be rotated (the
-- old one stays valid until expires_at, a grace period) or revoked (revoked_at: invalid at once). Only the
-- SHA-256 of a key is kept. `origin` says how the key came: 'seed' (npm start / the test hub, from keys.json or
-- the environment), 'issued' (POST /v1/partners) or 'rotation'.
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner_id    uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  key_hash      text NOT NULL UNIQUE,
  origin        text NOT NULL CHECK (origin IN ('seed', 'issued', 'rotation')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_keys_partner ON api_keys (partner_id, created_at);
INSERT INTO api_keys (partner_id, key_hash, origin, created_at)
  SELECT id, key_hash, CASE WHEN name IN ('demo', 'admin') THEN 'seed' ELSE 'issued' END, created_at FROM partners;
ALTER TABLE partners DROP COLUMN key_hash;

-- Every request made with an admin key (who, what, on what, when, with what outcome), for the operator's
-- own auditors. Append-only, like status_history.
CREATE TABLE admin_audit (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  principal_id  uuid NOT NULL,
  key_id        uuid NOT NULL,
  method        text NOT NULL,
  route         text NOT NULL,   -- the route pattern, e.g. /v1/partners/:id/keys
  path          text NOT NULL,   -- the path called (no query string)
  target        text,            -- the id, address or SIRET acted on, when the route names one
  status        integer NOT NULL -- the HTTP status answered
);
CREATE INDEX admin_audit_at ON admin_audit (at DESC, id DESC);
CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'admin_audit is append-only'; END $$;
CREATE TRIGGER admin_audit_no_update BEFORE UPDATE OR DELETE ON admin_audit
  FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only();
