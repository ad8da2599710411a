-- Deliveries as durable jobs (forwarder): the `routed` and `receipt` consumers only insert a job; a runner
-- sends it with retries and back-off off the consumer path (services/forwarder/runner.ts). A job is leased
-- (locked_until) while an attempt runs, so a runner killed mid-attempt leaves it to another after the lease.
CREATE TABLE delivery_jobs (
  id               bigserial PRIMARY KEY,
  -- several hubs (topic prefixes) may share one database: each runner takes only its own hub's jobs
  topic_prefix     text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('document', 'receipt')),
  document_id      uuid NOT NULL REFERENCES documents(id),
  -- the receipt's status sequence; 0 for the document itself
  receipt_sequence integer NOT NULL DEFAULT 0,
  partner_id       text NOT NULL,
  endpoint         text NOT NULL,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  -- 1 for the first round of attempts; each operator retry starts a new generation (attempts reset)
  generation       integer NOT NULL DEFAULT 1,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  locked_by        text,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  retried_at       timestamptz,
  retried_by       text,
  UNIQUE (kind, document_id, receipt_sequence)
);
CREATE INDEX delivery_jobs_due ON delivery_jobs (topic_prefix, next_attempt_at) WHERE state = 'pending';
CREATE INDEX delivery_jobs_failed ON delivery_jobs (topic_prefix, endpoint) WHERE state = 'failed';

-- Attempts of every generation, and which job made them.
ALTER TABLE delivery_attempts ADD COLUMN generation integer NOT NULL DEFAULT 1;

-- Dead letters of every stage, recorded by the status service from the `<topic>.dlq` topics, so an operator
-- lists and replays them without scanning topics. `event` is the original value decoded (null when it is
-- not a valid event of its topic: such a message cannot be replayed as it is).
CREATE TABLE dead_letters (
  id            bigserial PRIMARY KEY,
  topic         text NOT NULL,
  "partition"   integer NOT NULL,
  "offset"      text NOT NULL,
  consumer      text NOT NULL,
  document_id   text,
  error         text NOT NULL,
  attempts      integer NOT NULL,
  value         bytea NOT NULL,
  event         jsonb,
  failed_at     timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  replayed_at   timestamptz,
  replayed_by   text,
  replays       integer NOT NULL DEFAULT 0,
  UNIQUE (topic, "partition", "offset", consumer)
);
CREATE INDEX dead_letters_document ON dead_letters (document_id);
