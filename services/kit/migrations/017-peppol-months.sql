-- The months in which this hub was on the Peppol network (a forwarder ran with Peppol on): only those are reported
-- to OpenPeppol on their own (forwarder/peppol-reports.ts), so that a hub that joins the network does not send
-- reports for the months before it did.
CREATE TABLE peppol_months (
  month      text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  seat_id    text NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now()
);
