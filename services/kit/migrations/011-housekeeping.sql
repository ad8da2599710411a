-- Housekeeping (kit/housekeeping.ts) deletes inbox rows and published outbox rows older than the retention in
-- small batches; these indexes let each batch find its oldest rows without scanning the whole table.
CREATE INDEX IF NOT EXISTS processed_events_processed_at ON processed_events (processed_at);
CREATE INDEX IF NOT EXISTS outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
