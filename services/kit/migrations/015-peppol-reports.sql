-- Peppol's monthly reports (issue 12): the Transaction Statistics Report and the End User Statistics Report of each
-- month, as built (the SBDH-wrapped XML that is sent), and where their sending stands. The AS4 message that carries
-- one is an as4_sent row like a document's, with no document: its MessageId is fixed when the report is first
-- built, so that every attempt, from any forwarder or from `npx facteur peppol report --send`, sends the same
-- message and OpenPeppol's access point can eliminate duplicates.
ALTER TABLE as4_sent ALTER COLUMN document_id DROP NOT NULL;

CREATE TABLE peppol_reports (
  month        text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  kind         text NOT NULL CHECK (kind IN ('tsr', 'eusr')),
  message_id   text NOT NULL UNIQUE,
  report       bytea NOT NULL,          -- the report itself (TransactionStatisticsReport / EndUserStatisticsReport)
  built_at     timestamptz NOT NULL DEFAULT now(),
  attempts     integer NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  last_outcome text,                    -- delivered | retry-later | failed
  last_detail  text,
  sent_at      timestamptz,             -- when a receipt (or the receiver's signed duplicate notice) verified
  lease_until  timestamptz,             -- an attempt under way (one sender at a time), until it ends or this passes
  PRIMARY KEY (month, kind)
);
