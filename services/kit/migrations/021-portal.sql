-- The portal (issue 14): people who sign in with a password and a second factor, their structures and roles,
-- their server-side sessions, and the record of every sign-in and factor change. services/gateway/portal.

-- A person. The email is kept lower case (the sign-in name); the password hash is scrypt's self-describing
-- string (portal/passwords.ts), null until the person has set one through a setup link. An operator sees the
-- operator pages; a person's documents come from their memberships only.
CREATE TABLE people (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email            text NOT NULL UNIQUE CHECK (email = lower(email)),
  name             text NOT NULL,
  password_hash    text,
  password_set_at  timestamptz,
  operator         boolean NOT NULL DEFAULT false,
  -- TOTP (RFC 6238): the base32 secret once enrolled, and the last time step accepted (a code is used once).
  totp_secret      text,
  totp_enrolled_at timestamptz,
  totp_last_step   bigint,
  lang             text NOT NULL DEFAULT 'fr' CHECK (lang IN ('fr', 'en')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  disabled_at      timestamptz
);

-- A person's place in a structure (a SIRET where a partner sends from or receives at), with Chorus Pro's roles:
-- the principal manager (users, services, technical accounts, settings), a secondary manager (users and
-- services), a user (deposits and processing).
CREATE TABLE memberships (
  person_id   uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  partner_id  uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  siret       text NOT NULL CHECK (siret ~ '^[0-9]{14}$'),
  role        text NOT NULL CHECK (role IN ('principal', 'secondary', 'user')),
  added_by    uuid REFERENCES people(id) ON DELETE SET NULL,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (person_id, partner_id, siret)
);
CREATE INDEX memberships_structure ON memberships (partner_id, siret);

-- One-use codes for a lost second factor, as sha256 of the code (high-entropy: a fast hash is right).
CREATE TABLE recovery_codes (
  person_id  uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  code_hash  text NOT NULL,
  used_at    timestamptz,
  PRIMARY KEY (person_id, code_hash)
);

-- Setting a password (a new person, a reset by a manager or the operator): a one-use link, kept as sha256 of
-- its token, short-lived. A reset also clears the factors when the person lost them.
CREATE TABLE setup_links (
  token_hash   text PRIMARY KEY,
  person_id    uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  created_by   uuid REFERENCES people(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX setup_links_person ON setup_links (person_id);

-- A browser's session: the cookie holds a random id, this table its sha256. `stage` is how far the sign-in got
-- (anonymous: a sign-in form's CSRF token only; password: the second factor is asked; enrol: a factor must be
-- enrolled first; signed-in). The id changes at every stage (no fixation); idle and absolute timeouts end it.
CREATE TABLE portal_sessions (
  id_hash       text PRIMARY KEY,
  person_id     uuid REFERENCES people(id) ON DELETE CASCADE,
  stage         text NOT NULL CHECK (stage IN ('anonymous', 'password', 'enrol', 'signed-in')),
  csrf          text NOT NULL,
  pending       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  address       text,
  user_agent    text
);
CREATE INDEX portal_sessions_person ON portal_sessions (person_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- What happened to whom: sign-ins (each attempt, its outcome), factor and password changes, sign-outs,
-- memberships given. The sign-in limits count the failures here.
CREATE TABLE portal_events (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  person_id  uuid REFERENCES people(id) ON DELETE SET NULL,
  email      text,
  address    text,
  kind       text NOT NULL,
  outcome    text NOT NULL CHECK (outcome IN ('ok', 'failed', 'refused')),
  actor_id   uuid REFERENCES people(id) ON DELETE SET NULL,
  detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX portal_events_person ON portal_events (person_id, at DESC);
CREATE INDEX portal_events_address ON portal_events (address, at DESC) WHERE outcome = 'failed';
CREATE INDEX portal_events_email ON portal_events (email, at DESC) WHERE outcome = 'failed';

-- A document deposited in the portal: by whom, for which structure (it shows in that structure's list before
-- ingest has read its seller).
CREATE TABLE portal_deposits (
  document_id  uuid PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  person_id    uuid REFERENCES people(id) ON DELETE SET NULL,
  partner_id   uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  siret        text NOT NULL,
  file_name    text,
  deposited_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_deposits_structure ON portal_deposits (partner_id, siret);
