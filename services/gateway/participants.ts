// The B2B directory's input rules: a participant is addressed by its electronic address `scheme:value`
// (EN 16931 BT-49 with BT-49-1, e.g. 0009:<SIRET>, 0088:<GLN>, 9957:<French VAT>), and has one delivery endpoint.
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string }

/**
 * Normalises `scheme:value`. Schemes are ISO 6523 ICD codes (4 digits) or EAS codes such as `EM`; Peppol treats
 * participant identifiers case-insensitively (Peppol Policy for use of Identifiers 4.2, POLICY 2), so the
 * stored form is lower case.
 */
export function parseAddress(raw: string): Parsed<string> {
  const at = raw.indexOf(':')
  const scheme = raw.slice(0, at).trim()
  const value = raw.slice(at + 1).trim()
  if (at < 1 || !/^[A-Za-z0-9]{1,10}$/.test(scheme) || value.length === 0 || value.length > 200 || /\s/.test(value)) {
    return { ok: false, message: `'${raw}' is not an electronic address; expected scheme:value, e.g. 0009:12345678200010` }
  }
  return { ok: true, value: `${scheme}:${value}`.toLowerCase() }
}

/**
 * What a recipient receives: the document as deposited (`original`), or for a CII invoice a Factur-X PDF/A-3 with
 * that CII embedded (`factur-x`; other documents go as deposited).
 */
export const deliveryFormats = ['original', 'factur-x'] as const
export type DeliveryFormat = (typeof deliveryFormats)[number]

/** `format` of a directory entry: absent is `original`. */
export function parseFormat(b: Record<string, unknown>): Parsed<DeliveryFormat> {
  if (b.format === undefined || b.format === null) return { ok: true, value: 'original' }
  if (typeof b.format === 'string' && (deliveryFormats as readonly string[]).includes(b.format)) return { ok: true, value: b.format as DeliveryFormat }
  return { ok: false, message: `\`format\` is ${deliveryFormats.join(' or ')}` }
}

export type Participant = { name: string; endpoint: string; format: DeliveryFormat }

export function parseParticipant(body: unknown): Parsed<Participant> {
  const b = (body ?? {}) as Record<string, unknown>
  if (typeof b.name !== 'string' || b.name.trim() === '') return { ok: false, message: '`name` is required (a non-empty string)' }
  if (typeof b.endpoint !== 'string') return { ok: false, message: '`endpoint` is required: file:///dir, http://…, https://… or peppol:' }
  const format = parseFormat(b)
  if (!format.ok) return format
  // On the Peppol network: delivered over AS4 to the access point the participant's SMP names (Peppol on); Peppol
  // carries XML, so the invoice goes as XML whatever the format asked.
  if (b.endpoint === 'peppol:') return { ok: true, value: { name: b.name.trim(), endpoint: b.endpoint, format: format.value } }
  let url: URL
  try { url = new URL(b.endpoint) } catch { return { ok: false, message: `\`endpoint\` '${b.endpoint}' is not a URL` } }
  if (!['file:', 'http:', 'https:'].includes(url.protocol)) {
    return { ok: false, message: `\`endpoint\` protocol ${url.protocol} is not supported; use file:///dir, http://…, https://… or peppol:` }
  }
  if (url.protocol === 'file:' && (url.host !== '' || url.pathname === '/')) {
    return { ok: false, message: '`endpoint` file URLs name a local folder: file:///absolute/path' }
  }
  return { ok: true, value: { name: b.name.trim(), endpoint: b.endpoint, format: format.value } }
}
