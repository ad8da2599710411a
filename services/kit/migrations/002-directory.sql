-- Chorus Pro's directory of public structures ("annuaire des structures publiques"): a structure is a SIRET
-- with its routing parameters; its services ("services") are addressed by the buyer reference (BT-10).
CREATE TABLE structures (
  siret                   text PRIMARY KEY CHECK (siret ~ '^[0-9]{14}$'),
  name                    text NOT NULL,
  active                  boolean NOT NULL DEFAULT true,
  commitment_required     boolean NOT NULL DEFAULT false,  -- numéro d'engagement obligatoire (BT-13)
  service_required        boolean NOT NULL DEFAULT false,  -- code service obligatoire (BT-10)
  payment_status_managed  boolean NOT NULL DEFAULT false,  -- gestion du statut "mise en paiement"
  endpoint                text,                            -- delivery endpoint; null: kept for the structure to fetch
  updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE structure_services (
  siret                text NOT NULL REFERENCES structures(siret) ON DELETE CASCADE,
  code                 text NOT NULL,
  name                 text NOT NULL,
  active               boolean NOT NULL DEFAULT true,
  commitment_required  boolean NOT NULL DEFAULT false,
  PRIMARY KEY (siret, code)
);

-- The addresses a partner sends from and receives at (`scheme:value`, lower case, e.g. 0009:<SIRET>).
CREATE TABLE partner_addresses (
  address     text PRIMARY KEY,
  partner_id  uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE
);
CREATE INDEX partner_addresses_partner ON partner_addresses (partner_id);
