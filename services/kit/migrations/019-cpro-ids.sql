-- Chorus Pro's API names invoices, structures and services by integers (identifiantFactureCPP / idFacture,
-- idStructureCPP, idService), where the hub has UUIDs and SIRETs: each gets one when the Chorus Pro-compatible API
-- first shows it, and keeps it.
CREATE TABLE cpro_invoice_ids (
  id           bigserial PRIMARY KEY,
  document_id  uuid NOT NULL UNIQUE REFERENCES documents(id) ON DELETE CASCADE
);
CREATE TABLE cpro_structure_ids (
  id     bigserial PRIMARY KEY,
  siret  text NOT NULL UNIQUE
);
CREATE TABLE cpro_service_ids (
  id     bigserial PRIMARY KEY,
  siret  text NOT NULL,
  code   text NOT NULL,
  UNIQUE (siret, code)
);
