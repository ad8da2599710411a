-- Trace context (kit/trace.ts): Kafka headers of an outbox row (the gateway stores the deposit's `traceparent`
-- with its `received` event; the relay sends them), and the document's own trace, kept with the document so
-- that the writers of later events (status, delivery) and the delivery runner continue it.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS headers jsonb;
ALTER TABLE documents ADD COLUMN IF NOT EXISTS traceparent text;
