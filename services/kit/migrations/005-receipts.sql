-- Receipts sent back to the sender for each status change (UBL 2.1 ApplicationResponse: Peppol Message Level
-- Response or Invoice Response), built by the status service; delivered by the forwarder when the sender has
-- an endpoint in the directory.
CREATE TABLE receipts (
  document_id    uuid NOT NULL REFERENCES documents(id),
  sequence       integer NOT NULL,
  status         text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('mlr', 'invoice-response')),
  response_code  text NOT NULL,
  xml            text NOT NULL,
  issued_at      timestamptz NOT NULL,
  endpoint       text,
  delivered_at   timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  PRIMARY KEY (document_id, sequence)
);
