// HTML for the portal's server-rendered pages: a tagged template that escapes every value put in it, unless the
// value is itself HTML made here. Pages are plain functions of their data returning Html; no template engine.

export type Html = { readonly html: string }

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escape = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!)

const isHtml = (v: unknown): v is Html => typeof v === 'object' && v !== null && typeof (v as Html).html === 'string' && Object.keys(v).length === 1

/** A value in a template: Html as is, arrays joined, null/undefined/false as nothing, anything else escaped text. */
function part(v: unknown): string {
  if (v === null || v === undefined || v === false) return ''
  if (Array.isArray(v)) return v.map(part).join('')
  if (isHtml(v)) return v.html
  return escape(String(v))
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!
  values.forEach((v, i) => { out += part(v) + strings[i + 1]! })
  return { html: out }
}

/** Markup made elsewhere and trusted (an SVG the hub drew): never for anything a person typed. */
export const trusted = (markup: string): Html => ({ html: markup })

/** `name="…" value="…"` pairs of hidden inputs, e.g. the CSRF token. */
export const hidden = (fields: Record<string, string>) =>
  Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)

/** A query string from the non-empty values (for links that keep a list's filters). */
export const query = (params: Record<string, string | null | undefined>) => {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''))
  const s = q.toString()
  return s ? `?${s}` : ''
}
