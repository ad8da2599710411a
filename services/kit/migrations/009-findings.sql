-- The complete findings of a document whose findings did not all fit on its events (schemas/event-limits.ts caps
-- them at 500 / 512 KiB there): written by the stage that found them, read by operators and the API.
CREATE TABLE document_findings (
  document_id  uuid NOT NULL REFERENCES documents(id),
  stage        text NOT NULL,
  total        integer NOT NULL,
  findings     jsonb NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, stage)
);
