-- A document's view names the submission that resubmitted it (`resubmittedAs`): looked up by resubmission_of.
CREATE INDEX documents_resubmission_of ON documents (resubmission_of) WHERE resubmission_of IS NOT NULL;
