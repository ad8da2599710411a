// The three syntaxes the hub accepts, recognised by their root element (namespace URI + local name): the
// EN 16931 part 2 syntax bindings. Ingest detects with it; validation (the CLI reads files) and the benchmark too.
import type { Syntax } from './events.js'

export const rootElements: Record<string, Syntax> = {
  'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice': 'ubl-invoice',
  'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2 CreditNote': 'ubl-creditnote',
  'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100 CrossIndustryInvoice': 'cii',
}

/** The syntax of a root element, or null. */
export const syntaxOfRoot = (namespaceUri: string, localName: string): Syntax | null => rootElements[`${namespaceUri} ${localName}`] ?? null
