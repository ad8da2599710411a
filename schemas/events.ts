// The TypeScript shape of each event, one per .avsc file in this folder. topics.ts pairs them with topic names.
// Amounts are decimal strings exactly as written in the document (xs:decimal), never JS numbers: EN 16931
// arithmetic (BR-CO-*) must not drift through floating point.

/** The three syntaxes the hub accepts (EN 16931 part 2 syntax bindings). */
export type Syntax = 'ubl-invoice' | 'ubl-creditnote' | 'cii'

/** An identifier with its scheme, e.g. an electronic address `0009:12345678200010` (BT-49 / BT-49-1). */
export type SchemedId = { scheme: string | null; value: string }

/** A seller (BG-4) or buyer (BG-7) as far as routing and the business keys need it. */
export type Party = {
  name: string | null            // BT-27 / BT-44
  legalId: SchemedId | null      // BT-30 / BT-47 (SIRET for a French public buyer, scheme 0009)
  vatId: string | null           // BT-31 / BT-48
  endpoint: SchemedId | null     // BT-34 / BT-49 electronic address
}

/** Routing and business keys extracted by ingest (EN 16931 business terms in comments). */
export type DocumentKeys = {
  invoiceNumber: string          // BT-1
  issueDate: string              // BT-2, ISO yyyy-mm-dd
  typeCode: string | null        // BT-3 (380 invoice, 381 credit note, …)
  currency: string | null        // BT-5
  customizationId: string | null // BT-24 specification identifier
  profileId: string | null       // BT-23 business process type
  buyerReference: string | null  // BT-10, the Chorus Pro "code service"
  orderReference: string | null  // BT-13, the Chorus Pro "numéro d'engagement"
  seller: Party
  buyer: Party
  totals: {
    lineExtension: string | null // BT-106
    taxExclusive: string | null  // BT-109
    taxTotal: string | null      // BT-110
    taxInclusive: string | null  // BT-112
    payable: string | null       // BT-115
  }
}

/** One problem found in a document: by ingest (parse, syntax) or by a validation rule pack. */
export type Finding = {
  ruleId: string                 // e.g. BR-CO-15, or FACTEUR-XML-MALFORMED for ingest
  severity: 'fatal' | 'warning' | 'information'
  location: string               // XPath location from SVRL, or `line N` for a parse error
  message: string
  pack: string | null            // rule pack name (e.g. en16931, peppol-bis-billing-3), null for ingest findings
  packVersion?: string | null    // the pack's version (e.g. 1.3.16); absent for ingest findings
  line: number | null            // line in the document, where it can be found
}

// ---- Events, one per .avsc file (timestamps are epoch milliseconds) ----

type Header = { eventId: string; documentId: string }

/** document-received.avsc: gateway → ingest, status */
export type DocumentReceived = Header & { partnerId: string; contentType: string; sizeBytes: number; sha256: string; receivedAt: number }

/** document-parsed.avsc: ingest → validation */
export type DocumentParsed = Header & { partnerId: string; syntax: Syntax; keys: DocumentKeys; parsedAt: number }

/** document-rejected.avsc: ingest → status */
export type DocumentRejected = Header & { partnerId: string; stage: string; findings: Finding[]; rejectedAt: number }

/** document-validated.avsc: validation → routing, status */
export type DocumentValidated = Header & {
  partnerId: string; syntax: Syntax; keys: DocumentKeys; verdict: 'VALID' | 'INVALID'; packs: string[]; findings: Finding[]; validatedAt: number
}

/** document-routed.avsc: routing → forwarder */
export type DocumentRouted = Header & {
  partnerId: string; recipientAddress: string; recipientName: string; endpoint: string; routedAt: number
  serviceCode?: string | null      // B2G: the structure's service (BT-10)
  resubmissionOf?: string | null   // the A_RECYCLER document this one resubmits under the same number
  deliveryFormat?: string | null   // what the recipient receives: 'original' (null: the same), or 'factur-x' for a CII invoice
}

/** One reason a document cannot be routed, naming the business term to correct. */
export type RoutingReason = { code: string; field: string; message: string }

/** document-unroutable.avsc: routing → status */
export type DocumentUnroutable = Header & { partnerId: string; reasons: RoutingReason[]; at: number; resubmissionOf?: string | null }

/** delivery-result.avsc: forwarder → status */
export type DeliveryResult = Header & {
  partnerId: string; outcome: 'DELIVERED' | 'FAILED'; endpoint: string; attempts: number; detail: string | null; at: number
}

/** document-status.avsc: status → auditors */
export type DocumentStatus = Header & {
  sequence: number; status: string; code: string | null; actor: string; at: number; reason: string | null; findings: Finding[]
  prevHash?: string | null        // the hash chain of schemas/status-chain.ts
  hash?: string | null
}

/** dead-letter.avsc: any consumer → `<topic>.dlq` */
export type DeadLetter = {
  documentId: string | null; topic: string; partition: number; offset: string; consumer: string; error: string; attempts: number; value: Buffer; failedAt: number
}

/** receipt-ready.avsc: status (receipts) → forwarder; the XML stays in PostgreSQL (table receipts). */
export type ReceiptReady = Header & {
  partnerId: string; sequence: number; kind: 'mlr' | 'invoice-response'; responseCode: string; endpoint: string; at: number
}

/** The event type carried by each topic of topics.ts. */
export type EventOf = {
  received: DocumentReceived
  parsed: DocumentParsed
  rejected: DocumentRejected
  validated: DocumentValidated
  routed: DocumentRouted
  unroutable: DocumentUnroutable
  delivery: DeliveryResult
  status: DocumentStatus
  receipt: ReceiptReady
}
