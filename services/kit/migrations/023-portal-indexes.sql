-- Indexes for the portal's lists and the Chorus Pro API's searches, measured with bench/portal.ts (200 000
-- documents, 50 public structures, 2 000 suppliers): with receivedAt comparing whole addresses, every first page
-- goes from 140-320 ms to 1-4 ms p95. The newest documents first, over all partners (a clerk's received list);
-- the commitment number a clerk searches by; a partner's documents by seller (a supplier's sent list).
CREATE INDEX IF NOT EXISTS documents_received ON documents (received_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS documents_order_reference ON documents ((keys->>'orderReference')) WHERE keys->>'orderReference' IS NOT NULL;
CREATE INDEX IF NOT EXISTS documents_partner_seller ON documents (partner_id, (coalesce(keys->'seller'->'legalId'->>'value', keys->'seller'->'endpoint'->>'value')), received_at DESC);
