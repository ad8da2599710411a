-- Factur-X (issue 13): a PDF deposit is kept as it came (`payload`, delivered byte for byte). Ingest writes the CII
-- invoice the PDF carries (`business_xml`) and what it read of the PDF (`container`: the embedded file's name, its
-- AFRelationship, the XMP's Factur-X profile …); the stages that read the invoice (validation) read `business_xml`
-- when it is there (kit/claim-check.ts). Both stay null for an XML deposit.
ALTER TABLE documents ADD COLUMN business_xml bytea, ADD COLUMN container jsonb;
