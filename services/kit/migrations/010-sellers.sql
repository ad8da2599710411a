-- The sellers a partner may send for, set by the operator (PUT /v1/partners/{id}/sellers), beside its own
-- addresses (partner_addresses): SIRETs as 0009:<siret> and other participant ids as scheme:value, lower case.
-- A partner with neither sends for nobody (routing refuses with FACTEUR-SENDER-NOT-AUTHORISED).
CREATE TABLE partner_sellers (
  partner_id  uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  seller      text NOT NULL,
  PRIMARY KEY (partner_id, seller)
);
CREATE INDEX partner_sellers_seller ON partner_sellers (seller);
