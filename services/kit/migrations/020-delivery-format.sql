-- What a recipient wants to receive (issue 13): `original`, the document as it was deposited (the default), or
-- `factur-x`, a CII invoice as a Factur-X PDF/A-3 with the original CII embedded (services/pdf/facturx-out.ts; other
-- documents still go as deposited). Set in the directory; routing carries it on `document.routed`, the forwarder's
-- job keeps it.
ALTER TABLE participants ADD COLUMN delivery_format text NOT NULL DEFAULT 'original' CHECK (delivery_format IN ('original', 'factur-x'));
ALTER TABLE structures ADD COLUMN delivery_format text NOT NULL DEFAULT 'original' CHECK (delivery_format IN ('original', 'factur-x'));
ALTER TABLE delivery_jobs ADD COLUMN format text NOT NULL DEFAULT 'original' CHECK (format IN ('original', 'factur-x'));
