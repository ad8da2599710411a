-- Invoice numbers seen by routing, per seller and year: a second delivery of the same invoice is a duplicate;
-- a resubmission of a recycled (A_RECYCLER) one, under the same number, is linked to it instead.
CREATE TABLE invoice_registry (
  document_id      uuid PRIMARY KEY REFERENCES documents(id),
  seller_key       text NOT NULL,
  invoice_number   text NOT NULL,
  year             integer NOT NULL,
  state            text NOT NULL CHECK (state IN ('routed', 'recycled', 'superseded')),
  resubmission_of  uuid REFERENCES documents(id),
  at               timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invoice_registry_one_routed ON invoice_registry (seller_key, invoice_number, year) WHERE state = 'routed';
CREATE INDEX invoice_registry_number ON invoice_registry (seller_key, invoice_number, year);

-- Where routing sent a document, and what it resubmits: recipients see what was delivered to their addresses.
ALTER TABLE documents ADD COLUMN recipient_address text, ADD COLUMN service_code text, ADD COLUMN resubmission_of uuid;
CREATE INDEX documents_recipient_received ON documents (recipient_address, received_at DESC);
