-- Partners and their API keys (stored as SHA-256 of high-entropy random keys; never the key itself).
CREATE TABLE partners (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL UNIQUE,
  role        text NOT NULL CHECK (role IN ('partner', 'admin')),
  key_hash    text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Documents as accepted by the gateway (claim check: Kafka events carry the id, the bytes stay here).
CREATE TABLE documents (
  id               uuid PRIMARY KEY,
  partner_id       uuid NOT NULL REFERENCES partners(id),
  idempotency_key  text,
  content_type     text NOT NULL,
  payload          bytea NOT NULL,
  size_bytes       integer NOT NULL,
  sha256           text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  status           text NOT NULL DEFAULT 'DEPOSEE',
  status_at        timestamptz NOT NULL DEFAULT now(),
  syntax           text,
  keys             jsonb,
  findings         jsonb NOT NULL DEFAULT '[]',
  UNIQUE (partner_id, idempotency_key)
);
CREATE INDEX documents_partner_received ON documents (partner_id, received_at DESC);

-- Transactional outbox: written with the document, relayed to Kafka by the gateway (kit/outbox.ts).
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  topic         text NOT NULL,
  message_key   text NOT NULL,
  value         jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  -- set when the row can never be published (its value does not fit the topic's schema): a bug to look at
  set_aside_at  timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL AND set_aside_at IS NULL;

-- Append-only lifecycle of every document (status service). Sequence 1 is DEPOSEE.
CREATE TABLE status_history (
  document_id  uuid NOT NULL REFERENCES documents(id),
  sequence     integer NOT NULL,
  status       text NOT NULL,
  code         text,
  actor        text NOT NULL,
  at           timestamptz NOT NULL,
  reason       text,
  findings     jsonb NOT NULL DEFAULT '[]',
  cause_event  text NOT NULL,
  PRIMARY KEY (document_id, sequence),
  UNIQUE (document_id, cause_event)
);
CREATE FUNCTION status_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'status_history is append-only'; END $$;
CREATE TRIGGER status_history_no_update BEFORE UPDATE OR DELETE ON status_history
  FOR EACH ROW EXECUTE FUNCTION status_history_append_only();

-- Directory of recipients addressed by electronic address `scheme:value` (BT-49), e.g. 0009:<SIRET>.
CREATE TABLE participants (
  address     text PRIMARY KEY,
  name        text NOT NULL,
  endpoint    text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Inbox of processed events per consumer: a redelivered event changes nothing.
CREATE TABLE processed_events (
  consumer      text NOT NULL,
  event_id      text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Delivery attempts (forwarder), for operators: what was tried, when, and what the endpoint said.
CREATE TABLE delivery_attempts (
  document_id  uuid NOT NULL REFERENCES documents(id),
  attempt      integer NOT NULL,
  endpoint     text NOT NULL,
  outcome      text NOT NULL,
  detail       text,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, attempt, at)
);
