-- Peppol AS4 (issue 12). Each sending access point is a partner of its own, named `peppol:<seat id>`, with no API
-- key; the participants it sends for (the SBDH senders, C1) are bound to it as sellers when their documents arrive,
-- so routing applies the same seller rule to Peppol documents as to API deposits.
-- A received user message is kept once per MessageId with the receipt that answered it: a duplicate gets that
-- receipt again and is not processed twice (AS4 duplicate elimination). The document's Idempotency-Key is the
-- MessageId, so the document, its outbox row and this row are written in one transaction or not at all.
CREATE TABLE as4_received (
  message_id    text PRIMARY KEY,
  from_seat     text NOT NULL,
  document_id   uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  receipt       text NOT NULL,
  sender_cert   bytea NOT NULL,   -- the certificate that signed the message (non-repudiation)
  message       bytea NOT NULL,   -- the SOAP envelope as received (non-repudiation of origin)
  received_at   timestamptz NOT NULL DEFAULT now(),
  -- What Peppol's monthly reports count (Transaction Statistics, End User Statistics): the document type and
  -- process ids, the end users (C1, C4) and their countries (C1's from COUNTRY_C1, C4's from the invoice, BT-55).
  document_type    text NOT NULL,
  process          text NOT NULL,
  original_sender  text NOT NULL,
  final_recipient  text NOT NULL,
  country_c1       text NOT NULL,
  country_c4       text
);
CREATE INDEX as4_received_document ON as4_received (document_id);
CREATE INDEX as4_received_at ON as4_received (received_at);
