// Input rules of the directory of public structures (Chorus Pro's "annuaire des structures publiques"):
// what an admin may PUT or import. Pure: the routes in app.ts and the bulk import share them.
import type { Parsed } from './participants.js'
import { parseFormat, parseParticipant, type DeliveryFormat } from './participants.js'

export type Service = { code: string; name: string; active: boolean; commitmentRequired: boolean }
export type Structure = {
  siret: string
  name: string
  active: boolean
  commitmentRequired: boolean
  serviceRequired: boolean
  paymentStatusManaged: boolean
  endpoint: string | null
  format: DeliveryFormat
  services: Service[]
}

/**
 * A SIRET (INSEE): 14 digits, SIREN (9) + NIC (5), with a Luhn key over the 14 digits. The one exception is
 * La Poste (SIREN 356000000), whose establishments are numbered so that the digit sum is a multiple of 5
 * (its head office 35600000000048 keeps a Luhn key); python-stdnum's `fr.siret` applies the same exception.
 */
export function isValidSiret(siret: string): boolean {
  if (!/^[0-9]{14}$/.test(siret)) return false
  const digits = [...siret].map(Number)
  if (siret.startsWith('356000000') && siret !== '35600000000048') return digits.reduce((a, b) => a + b, 0) % 5 === 0
  return digits.reduce((sum, d, i) => {
    // 14 digits: the 1st, 3rd … 13th from the left (every second one from the right, check digit excluded) are doubled
    if (i % 2 === 1) return sum + d
    const twice = d * 2
    return sum + (twice > 9 ? twice - 9 : twice)
  }, 0) % 10 === 0
}

export function parseSiret(raw: string): Parsed<string> {
  const siret = raw.trim()
  if (!/^[0-9]{14}$/.test(siret)) return { ok: false, message: `'${raw}' is not a SIRET: 14 digits expected` }
  if (!isValidSiret(siret)) return { ok: false, message: `'${raw}' is not a valid SIRET: its check key (Luhn) is wrong` }
  return { ok: true, value: siret }
}

const bool = (b: Record<string, unknown>, key: string, fallback: boolean): Parsed<boolean> => {
  const v = b[key]
  if (v === undefined || v === null) return { ok: true, value: fallback }
  return typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, message: `\`${key}\` must be true or false` }
}

const SERVICE_CODE = /^[A-Za-z0-9_./-]{1,100}$/

/** The body of `PUT /v1/directory/structures/{siret}` (or one import line, with its own `siret`). */
export function parseStructure(siret: string, body: unknown): Parsed<Structure> {
  const s = parseSiret(siret)
  if (!s.ok) return s
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'a structure is a JSON object' }
  const b = body as Record<string, unknown>
  if (typeof b.name !== 'string' || b.name.trim() === '') return { ok: false, message: '`name` is required (a non-empty string)' }
  const flags: Record<string, boolean> = {}
  for (const [key, fallback] of [['active', true], ['commitmentRequired', false], ['serviceRequired', false], ['paymentStatusManaged', false]] as const) {
    const v = bool(b, key, fallback)
    if (!v.ok) return v
    flags[key] = v.value
  }
  const format = parseFormat(b)
  if (!format.ok) return format
  let endpoint: string | null = null
  if (b.endpoint !== undefined && b.endpoint !== null) {
    const e = parseParticipant({ name: b.name, endpoint: b.endpoint })
    if (!e.ok) return e
    endpoint = e.value.endpoint
  }
  const services: Service[] = []
  if (b.services !== undefined) {
    if (!Array.isArray(b.services)) return { ok: false, message: '`services` must be an array' }
    const seen = new Set<string>()
    for (const [i, raw] of b.services.entries()) {
      const sv = (raw ?? {}) as Record<string, unknown>
      if (typeof sv.code !== 'string' || !SERVICE_CODE.test(sv.code)) return { ok: false, message: `services[${i}].code must be 1 to 100 letters, digits or _ . / -` }
      if (seen.has(sv.code)) return { ok: false, message: `services[${i}].code '${sv.code}' appears twice` }
      seen.add(sv.code)
      const name = typeof sv.name === 'string' && sv.name.trim() !== '' ? sv.name.trim() : sv.code
      const active = bool(sv, 'active', true)
      if (!active.ok) return { ok: false, message: `services[${i}]: ${active.message}` }
      const commitment = bool(sv, 'commitmentRequired', false)
      if (!commitment.ok) return { ok: false, message: `services[${i}]: ${commitment.message}` }
      services.push({ code: sv.code, name, active: active.value, commitmentRequired: commitment.value })
    }
  }
  return {
    ok: true,
    value: {
      siret: s.value, name: b.name.trim(), active: flags.active!, commitmentRequired: flags.commitmentRequired!,
      serviceRequired: flags.serviceRequired!, paymentStatusManaged: flags.paymentStatusManaged!, endpoint, format: format.value, services,
    },
  }
}

/** One line of `POST /v1/directory/structures:import` (application/x-ndjson): a structure with its `siret`. */
export function parseImportLine(line: string): Parsed<Structure> {
  let body: unknown
  try { body = JSON.parse(line) } catch (error) { return { ok: false, message: `not JSON: ${(error as Error).message}` } }
  const siret = (body as { siret?: unknown } | null)?.siret
  if (typeof siret !== 'string') return { ok: false, message: '`siret` is required (a string of 14 digits)' }
  return parseStructure(siret, body)
}
