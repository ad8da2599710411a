-- Peppol AS4 messages this hub sends (corner 2). The message is kept as first built, so that every retry of one
-- document sends the same bytes under the same MessageId (the receiver answers a duplicate with its first
-- receipt, whose non-repudiation information then matches), and the receiver's signed receipt is kept as the
-- proof of delivery (non-repudiation of receipt).
CREATE TABLE as4_sent (
  message_id     text PRIMARY KEY,
  document_id    uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  to_seat        text NOT NULL,
  endpoint       text NOT NULL,
  receiver_cert  bytea NOT NULL,
  content_type   text NOT NULL,
  message        bytea NOT NULL,
  signed_refs    jsonb NOT NULL,   -- [{uri, digest (base64)}]: what the receipt must repeat
  receipt        bytea,            -- null until a receipt verified
  built_at       timestamptz NOT NULL DEFAULT now(),
  receipt_at     timestamptz,
  -- For Peppol's monthly reports, as in as4_received (C1's and C4's countries from the invoice, BT-40 and BT-55).
  document_type    text NOT NULL,
  process          text NOT NULL,
  original_sender  text NOT NULL,
  final_recipient  text NOT NULL,
  country_c1       text NOT NULL,
  country_c4       text
);
CREATE INDEX as4_sent_document ON as4_sent (document_id);
CREATE INDEX as4_sent_receipt_at ON as4_sent (receipt_at);
