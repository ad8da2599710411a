// Ingest, step by step: read the bytes safely, recognise the syntax, extract the keys.
import { safeParse, type XmlLimits } from '../kit/safe-xml.js'
import type { DocumentKeys, Finding, Syntax } from '../../schemas/events.js'
import { detectSyntax } from './detect-syntax.js'
import { extractKeys } from './extract-keys.js'
import { MAX_KEY_CHARS, overlongKey } from '../../schemas/event-limits.js'

export type IngestOutcome = { ok: true; syntax: Syntax; keys: DocumentKeys } | { ok: false; findings: Finding[] }

const finding = (ruleId: string, message: string, location = '/'): Finding => ({ ruleId, severity: 'fatal', location, message, pack: null, line: null })

export function ingest(bytes: Buffer, limits: XmlLimits): IngestOutcome {
  const parsed = safeParse(bytes, limits)
  if (!parsed.ok) return { ok: false, findings: [parsed.finding] }
  const detected = detectSyntax(parsed.doc)
  if (!detected.ok) return { ok: false, findings: [finding('FACTEUR-SYNTAX-UNSUPPORTED', detected.message)] }
  const extracted = extractKeys(parsed.doc, detected.syntax)
  if (!extracted.ok) return { ok: false, findings: extracted.missing.map((m) => finding(`FACTEUR-KEY-MISSING-${m.term}`, m.message)) }
  // The keys travel on every event of the document: one unbounded value would make them too large for Kafka.
  const overlong = overlongKey(extracted.keys)
  if (overlong) return { ok: false, findings: [finding('FACTEUR-FIELD-TOO-LONG', `${overlong.term} is ${overlong.length} characters long; the hub accepts at most ${MAX_KEY_CHARS} characters in a routing or business key`)] }
  return { ok: true, syntax: detected.syntax, keys: extracted.keys }
}
