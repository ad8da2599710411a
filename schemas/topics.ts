// Every topic of the hub, in the order a document travels, each with its producer → consumer.
// Names here are relative: the runtime name is `<FACTEUR_TOPIC_PREFIX>.<name>` (topicName()), so tests and
// tenants can run side by side on one broker. No other file spells a topic name.
export type TopicSpec = {
  /** relative name; the Avro subject is `<runtime name>-value` (TopicNameStrategy) */
  name: string
  /** Avro schema file in this folder */
  schemaFile: string
  /** a consumer that gives up on a message sends it to `<name>.dlq` (schema dead-letter.avsc) */
  dlq: boolean
}

const topic = (name: string, schemaFile: string, dlq = true): TopicSpec => ({ name, schemaFile, dlq })

export const topics = {
  received: topic('document.received', 'document-received.avsc'),       // gateway (outbox relay) → ingest, status
  parsed: topic('document.parsed', 'document-parsed.avsc'),             // ingest → validation
  rejected: topic('document.rejected', 'document-rejected.avsc'),       // ingest, routing (duplicates) → status
  validated: topic('document.validated', 'document-validated.avsc'),    // validation → routing, status
  routed: topic('document.routed', 'document-routed.avsc'),             // routing → forwarder, status
  unroutable: topic('document.unroutable', 'document-unroutable.avsc'), // routing → status
  delivery: topic('document.delivery', 'delivery-result.avsc'),         // forwarder → status
  status: topic('document.status', 'document-status.avsc'),             // status, gateway (outbox) → auditors, status (receipts)
  receipt: topic('document.receipt', 'receipt-ready.avsc'),             // status (receipts) → forwarder
} as const satisfies Record<string, TopicSpec>

export type TopicKey = keyof typeof topics

/** Dead-letter topics share one schema: the failed message's bytes and the error. */
export const deadLetterSchemaFile = 'dead-letter.avsc'

export const topicName = (prefix: string, spec: TopicSpec) => `${prefix}.${spec.name}`
export const dlqName = (prefix: string, spec: TopicSpec) => `${prefix}.${spec.name}.dlq`
export const subjectOf = (runtimeTopic: string) => `${runtimeTopic}-value`
