-- Security keys and passkeys (WebAuthn) as a second factor of the portal (issue 14): a person adds them from their
-- security page once signed in, and may then use one instead of a TOTP code. services/gateway/portal/webauthn.ts.

-- One credential of one person. `credential_id` is the authenticator's id of it (base64url, as the browser sends
-- it: the lookup key at sign-in, unique across the hub as WebAuthn makes it); `public_key` the COSE key it signs
-- with; `counter` the last signature counter seen (0 for authenticators that keep none: a counter that does not
-- move forward is refused when either side is non-zero, a sign of a cloned key); `transports` the browser's hints
-- (usb, nfc, ble, internal, hybrid) sent back in allowCredentials; `name` what the person called it.
CREATE TABLE webauthn_credentials (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  credential_id  text NOT NULL UNIQUE CHECK (credential_id ~ '^[A-Za-z0-9_-]+$' AND char_length(credential_id) <= 1400),
  person_id      uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  public_key     bytea NOT NULL,
  counter        bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports     text[] NOT NULL DEFAULT '{}',
  name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz
);
CREATE INDEX webauthn_credentials_person ON webauthn_credentials (person_id);
