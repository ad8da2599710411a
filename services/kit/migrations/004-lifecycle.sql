-- The auditors' hash chain (schemas/status-chain.ts): each status row carries its hash and the previous one's.
ALTER TABLE status_history ADD COLUMN prev_hash text, ADD COLUMN hash text;
-- Dashboard queries: a partner's documents by status and date, sent or received.
CREATE INDEX documents_partner_status ON documents (partner_id, status, received_at DESC);
CREATE INDEX documents_recipient_status ON documents (recipient_address, status, received_at DESC);
