// Seeded variants of a well-formed document for the differential test: values changed, elements removed,
// duplicated or reordered, attributes changed. Mutations work on the text with element spans found by a
// tag scan, so every variant stays well-formed (whole elements move) and the rest of the text is kept
// byte for byte. The same (document, seed) always gives the same variants, so a failure reproduces.

/** mulberry32: a small, seedable PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Span = {
  /** Offsets of `<` of the start tag, `>` + 1 of the start tag, `<` of the end tag, `>` + 1 of the end tag. */
  start: number; openEnd: number; closeStart: number; end: number
  depth: number; parent: number; attrs: { name: string; valueStart: number; valueEnd: number }[]; leaf: boolean
}

/** Element spans in document order, by a scan of tags (comments, CDATA and PIs skipped). */
export function elementSpans(text: string): Span[] {
  const spans: Span[] = []
  const stack: number[] = []
  const tag = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/[^>]+>|<[^>]+>/g
  let m: RegExpExecArray | null
  while ((m = tag.exec(text))) {
    const t = m[0]
    if (t.startsWith('<!') || t.startsWith('<?')) continue
    if (t.startsWith('</')) {
      const i = stack.pop()
      if (i === undefined) throw new Error('unbalanced tags')
      spans[i]!.closeStart = m.index
      spans[i]!.end = m.index + t.length
      continue
    }
    const attrs: Span['attrs'] = []
    for (const a of t.matchAll(/([\w.:-]+)\s*=\s*("[^"]*"|'[^']*')/g)) {
      if (a[1]!.startsWith('xmlns')) continue
      const valueStart = m.index + a.index! + a[0].length - a[2]!.length + 1
      attrs.push({ name: a[1]!, valueStart, valueEnd: valueStart + a[2]!.length - 2 })
    }
    const parent = stack[stack.length - 1] ?? -1
    if (parent >= 0) spans[parent]!.leaf = false
    const span: Span = { start: m.index, openEnd: m.index + t.length, closeStart: -1, end: -1, depth: stack.length, parent, attrs, leaf: true }
    spans.push(span)
    if (t.endsWith('/>')) { span.closeStart = span.openEnd; span.end = span.openEnd } else stack.push(spans.length - 1)
  }
  return spans
}

const values = ['', ' ', '0', '-1', '1.005', '100.00', '0.01', 'abc', 'S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M', 'VAT', '380', '381', 'EUR', 'USD', 'XX', '2024-02-30', '2024-01-01', 'true', 'false', '12,5', '1e3']
/**
 * Values that matter only in one syntax, appended to the common list (so the UBL variants of phase 1 keep
 * their seeds): CII writes dates as `udt:DateTimeString format="102"` (YYYYMMDD), indicators as
 * `udt:Indicator`, and uses code lists UBL does not (type codes 1-4 of notes, 102/610 date formats).
 */
const syntaxValues: Record<string, string[]> = {
  cii: ['20240101', '20240230', '2024-01-01T00:00:00', '102', '610', '616', 'AAA', 'REG', '1', '4', 'true ', 'VA', 'FC', '58', '30', '0088', '0009'],
}

function newValue(old: string, rnd: () => number, pool: string[]): string {
  const n = Number(old.trim())
  if (old.trim() !== '' && Number.isFinite(n) && rnd() < 0.6) {
    const options = [n + 0.01, n - 1, n * 10, -n, Math.round(n), n / 3]
    const v = options[Math.floor(rnd() * options.length)]!
    return rnd() < 0.5 ? v.toFixed(2) : String(v)
  }
  return pool[Math.floor(rnd() * pool.length)]!
}

export type Variant = { seed: number; mutations: string[]; text: string }

/** `count` variants of `text`, each with 1-3 mutations, from `seed`; `syntax` adds its own values. */
export function variantsOf(text: string, seed: number, count: number, syntax?: string): Variant[] {
  const pool = [...values, ...(syntax ? syntaxValues[syntax] ?? [] : [])]
  const out: Variant[] = []
  for (let k = 0; k < count; k++) {
    const rnd = prng(seed * 1000 + k)
    let current = text
    const mutations: string[] = []
    const n = 1 + Math.floor(rnd() * 3)
    for (let j = 0; j < n; j++) {
      const spans = elementSpans(current)
      const inner = spans.filter((s) => s.depth > 0)
      if (inner.length === 0) break
      const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!
      const r = rnd()
      if (r < 0.4) {
        const leaves = inner.filter((s) => s.leaf && s.closeStart > s.openEnd && s.closeStart - s.openEnd < 200)
        if (leaves.length === 0) continue
        const s = pick(leaves)
        const v = newValue(current.slice(s.openEnd, s.closeStart), rnd, pool)
        mutations.push(`value of element at ${s.start} → '${v}'`)
        current = current.slice(0, s.openEnd) + escape(v) + current.slice(s.closeStart)
      } else if (r < 0.55) {
        const withAttrs = inner.filter((s) => s.attrs.length > 0)
        if (withAttrs.length === 0) continue
        const s = pick(withAttrs), a = pick(s.attrs)
        const v = newValue(current.slice(a.valueStart, a.valueEnd), rnd, pool)
        mutations.push(`attribute ${a.name} at ${s.start} → '${v}'`)
        current = current.slice(0, a.valueStart) + escape(v) + current.slice(a.valueEnd)
      } else if (r < 0.75) {
        const s = pick(inner)
        mutations.push(`remove element at ${s.start}`)
        current = current.slice(0, s.start) + current.slice(s.end)
      } else if (r < 0.9) {
        const s = pick(inner)
        mutations.push(`duplicate element at ${s.start}`)
        current = current.slice(0, s.end) + current.slice(s.start, s.end) + current.slice(s.end)
      } else {
        const s = pick(inner)
        const siblings = inner.filter((x) => x.parent === s.parent && x.start > s.end)
        if (siblings.length === 0) continue
        const t = pick(siblings)
        mutations.push(`swap elements at ${s.start} and ${t.start}`)
        current = current.slice(0, s.start) + current.slice(t.start, t.end) + current.slice(s.end, t.start) + current.slice(s.start, s.end) + current.slice(t.end)
      }
    }
    out.push({ seed: seed * 1000 + k, mutations, text: current })
  }
  return out
}

const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;')

// Values in other scripts' digits and with non-XML spaces, in the fields the rules check with matches(),
// replace() and tokenize() (dates, identifiers, codes, amounts, telephone numbers …): XSD's \d is any Unicode
// decimal digit while [0-9] is not, and \s is only the four XML spaces (not NBSP, not U+2003), so these values
// are where a regex translation shows. A separate family with its own seeds, so that variantsOf keeps its own.

/** Local names of the elements whose values the packs test with regular expressions (UBL and CII). */
const REGEX_CHECKED = new Set([
  'ID', 'IssueDate', 'DueDate', 'TaxPointDate', 'StartDate', 'EndDate', 'ActualDeliveryDate', 'PaymentDueDate', 'DateTimeString',
  'CompanyID', 'EndpointID', 'GlobalID', 'URIID', 'IBANID', 'ProprietaryID', 'PaymentID', 'Telephone', 'CompleteNumber', 'ElectronicMail',
  'ProfileID', 'Note', 'Content', 'Percent', 'RateApplicablePercent', 'InvoicedQuantity', 'CreditedQuantity', 'BilledQuantity',
  'LineExtensionAmount', 'TaxAmount', 'PayableAmount', 'TaxExclusiveAmount', 'TaxInclusiveAmount', 'Amount', 'BaseAmount', 'PriceAmount',
  'LineTotalAmount', 'GrandTotalAmount', 'DuePayableAmount', 'CalculatedAmount', 'BasisAmount', 'ChargeAmount',
])

const DIGIT_ZEROS = { 'Arabic-Indic': 0x0660, Devanagari: 0x0966, fullwidth: 0xff10 }
const NBSP = '\u00A0', EM_SPACE = '\u2003'

const digitsIn = (zero: number, s: string) => s.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)))

/** One value change: digits of another script (all or one), or NBSP / U+2003 around or inside the value. */
function unicodeValue(old: string, rnd: () => number): { value: string; what: string } {
  const scripts = Object.entries(DIGIT_ZEROS)
  const [script, zero] = scripts[Math.floor(rnd() * scripts.length)]!
  const hasDigit = /[0-9]/.test(old)
  const r = rnd()
  if (hasDigit && r < 0.45) return { value: digitsIn(zero, old), what: `${script} digits` }
  if (hasDigit && r < 0.6) {
    const positions = [...old.matchAll(/[0-9]/g)].map((m) => m.index!)
    const at = positions[Math.floor(rnd() * positions.length)]!
    return { value: old.slice(0, at) + digitsIn(zero, old[at]!) + old.slice(at + 1), what: `one ${script} digit` }
  }
  const space = rnd() < 0.5 ? NBSP : EM_SPACE
  const name = space === NBSP ? 'NBSP' : 'U+2003'
  const trimmed = old.trim()
  if (r < 0.75) return { value: trimmed + space, what: `${name} after` }
  if (r < 0.85) return { value: space + trimmed, what: `${name} before` }
  if (trimmed.includes(' ')) return { value: trimmed.replace(/ /g, space), what: `spaces as ${name}` }
  const at = Math.floor(trimmed.length / 2)
  return { value: trimmed.slice(0, at) + space + trimmed.slice(at), what: `${name} inside` }
}

/** `count` variants of `text` with 1-2 regex-checked values changed by unicodeValue, from `seed`. */
export function unicodeVariantsOf(text: string, seed: number, count: number): Variant[] {
  const out: Variant[] = []
  for (let k = 0; k < count; k++) {
    const variantSeed = seed * 1000 + 500 + k
    const rnd = prng(variantSeed)
    let current = text
    const mutations: string[] = []
    const n = 1 + Math.floor(rnd() * 2)
    for (let j = 0; j < n; j++) {
      // leaves of plain text: a character reference or CDATA section would not survive the change
      const leaves = elementSpans(current).filter((s) => s.depth > 0 && s.leaf && s.closeStart > s.openEnd && s.closeStart - s.openEnd < 200 && !/[&<]/.test(current.slice(s.openEnd, s.closeStart)))
      const checked = leaves.filter((s) => REGEX_CHECKED.has(localName(current, s)))
      // mostly the checked fields; sometimes any value with a digit, for the rules that compute on values
      const pool = checked.length > 0 && rnd() < 0.85 ? checked : leaves.filter((s) => /[0-9]/.test(current.slice(s.openEnd, s.closeStart)))
      if (pool.length === 0) break
      const s = pool[Math.floor(rnd() * pool.length)]!
      const { value, what } = unicodeValue(current.slice(s.openEnd, s.closeStart), rnd)
      mutations.push(`${localName(current, s)} at ${s.start}: ${what} → ${JSON.stringify(value)}`)
      current = current.slice(0, s.openEnd) + escape(value) + current.slice(s.closeStart)
    }
    out.push({ seed: variantSeed, mutations, text: current })
  }
  return out
}

const localName = (text: string, s: Span) => /^<(?:[\w.-]+:)?([\w.-]+)/.exec(text.slice(s.start, s.openEnd))![1]!
