// Admin routes of the directory (public structures, Chorus Pro style) and of partners with their addresses.
// Paths are a contract (README "HTTP API", openapi.json). The work is in exported functions (importDirectory,
// registerPartner) that the operator's pages of the portal call too.
import express, { type Express, type RequestHandler, type Response } from 'express'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { inTransaction, type Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, type Problem } from '../kit/problem.js'
import { generateApiKey, issueKey } from './api-keys.js'
import { parseAddress } from './participants.js'
import { parseSiret, parseStructure } from './structures.js'
import { getStructure, importStructures, upsertStructures, type ImportReport } from './directory-store.js'
import type { Checked } from '../kit/endpoint-policy.js'

type Helpers = {
  db: Db; log: Logger; admin: RequestHandler; send: (res: Response, p: Problem) => void
  /** The SSRF guard of kit/endpoint-policy.ts with the configured policy (the forwarder checks again when it delivers). */
  checkEndpoint: (endpoint: string) => Promise<Checked>
}

export const NDJSON = /^application\/(x-)?ndjson\s*(;|$)/i

/**
 * The bulk import of an NDJSON stream (the admin API's `:import` and the operator's page): read line by line,
 * never held in memory as a whole, each endpoint checked once, progress and the outcome in the log.
 */
export async function importDirectory(db: Db, log: Logger, input: Readable, checkEndpoint: (endpoint: string) => Promise<Checked>): Promise<ImportReport> {
  const lines = createInterface({ input, crlfDelay: Infinity })
  // One answer per endpoint for the whole file: an import of 100 000 lines names few distinct endpoints.
  const seen = new Map<string, Promise<Checked>>()
  const check = (endpoint: string) => seen.get(endpoint) ?? seen.set(endpoint, checkEndpoint(endpoint)).get(endpoint)!
  const report = await importStructures(db, lines, (m) => log.info(m), check)
  log.info({ ...report, errors: report.errors.length }, 'directory import finished')
  return report
}

export type PartnerRegistered = { id: string; name: string; addresses: string[]; apiKey: string; keyId: string }

/**
 * Registers a partner (`{"name", "addresses": ["scheme:value", …]}`) with its first API key, shown once: only its
 * hash is kept. The admin API's POST /v1/partners and the operator's page; a refusal is the problem to answer.
 */
export async function registerPartner(db: Db, log: Logger, body: unknown): Promise<{ ok: true; value: PartnerRegistered } | { ok: false; problem: Problem }> {
  const refuse = (p: Problem) => ({ ok: false as const, problem: p })
  const b = (body ?? {}) as { name?: unknown; addresses?: unknown }
  if (typeof b.name !== 'string' || !/^[\p{L}\p{N} ._'&()-]{1,200}$/u.test(b.name.trim())) {
    return refuse(problem('INVALID_REQUEST', '`name` is required: 1 to 200 letters, digits, spaces or . _ \' & ( ) -'))
  }
  if (!Array.isArray(b.addresses) || b.addresses.some((a) => typeof a !== 'string')) {
    return refuse(problem('INVALID_REQUEST', '`addresses` is required: an array of electronic addresses scheme:value, e.g. ["0009:12345678200010"]'))
  }
  const name = b.name.trim()
  const addresses: string[] = []
  for (const raw of b.addresses as string[]) {
    const a = parseAddress(raw)
    if (!a.ok) return refuse(problem('INVALID_REQUEST', a.message))
    if (a.value.startsWith('0009:')) {
      const siret = parseSiret(a.value.slice(5))
      if (!siret.ok) return refuse(problem('INVALID_REQUEST', siret.message))
    }
    if (!addresses.includes(a.value)) addresses.push(a.value)
  }
  const apiKey = generateApiKey()
  const outcome = await inTransaction(db, async (tx): Promise<{ id: string; keyId: string } | { conflict: string }> => {
    const taken = (await tx.query<{ address: string }>('SELECT address FROM partner_addresses WHERE address = ANY($1)', [addresses])).rows
    if (taken.length > 0) return { conflict: `address ${taken.map((t) => t.address).join(', ')} already belongs to another partner` }
    const inserted = await tx.query<{ id: string }>(
      'INSERT INTO partners (name, role) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id', [name, 'partner'])
    const id = inserted.rows[0]?.id
    if (!id) return { conflict: `a partner named '${name}' already exists` }
    const key = await issueKey(tx, id, 'issued', apiKey)
    for (const address of addresses) await tx.query('INSERT INTO partner_addresses (address, partner_id) VALUES ($1, $2)', [address, id])
    return { id, keyId: key.id }
  }).catch((error: { code?: string }) => {
    // Two registrations racing for one address or name: the unique index decides.
    if (error.code === '23505') return { conflict: 'that name or one of those addresses was registered meanwhile' }
    throw error
  })
  if ('conflict' in outcome) return refuse(problem('CONFLICT', outcome.conflict))
  log.info({ partnerId: outcome.id, addresses }, 'partner registered')
  return { ok: true, value: { id: outcome.id, name, addresses, apiKey, keyId: outcome.keyId } }
}

export function directoryRoutes(app: Express, { db, log, admin, send, checkEndpoint }: Helpers) {
  app.put('/v1/directory/structures/:siret', admin, express.json({ limit: '1mb' }), async (req, res) => {
    const parsed = parseStructure(String(req.params.siret), req.body)
    if (!parsed.ok) return send(res, problem('INVALID_REQUEST', parsed.message))
    if (parsed.value.endpoint) {
      const allowed = await checkEndpoint(parsed.value.endpoint)
      if (!allowed.ok) return send(res, problem('INVALID_REQUEST', `\`endpoint\` refused: ${allowed.reason}`))
    }
    const created = await inTransaction(db, (tx) => upsertStructures(tx, [parsed.value]))
    log.info({ siret: parsed.value.siret, services: parsed.value.services.length, active: parsed.value.active }, 'structure registered')
    res.status(created ? 201 : 200).json(await getStructure(db, parsed.value.siret))
  })

  app.get('/v1/directory/structures/:siret', admin, async (req, res) => {
    const siret = parseSiret(String(req.params.siret))
    if (!siret.ok) return send(res, problem('INVALID_REQUEST', siret.message))
    const structure = await getStructure(db, siret.value)
    if (!structure) return send(res, problem('NOT_FOUND', `no structure ${siret.value} in the directory`))
    res.json(structure)
  })

  // Bulk import, streamed line by line: the body is never held in memory as a whole.
  app.post('/v1/directory/structures\\:import', admin, async (req, res) => {
    if (!NDJSON.test(req.get('content-type') ?? '')) {
      return send(res, problem('UNSUPPORTED_MEDIA_TYPE', 'send one structure per line as application/x-ndjson'))
    }
    res.json(await importDirectory(db, log, req, checkEndpoint))
  })

  // A partner and the addresses it sends from and receives at; the key is shown once, only its hash is kept.
  app.post('/v1/partners', admin, express.json({ limit: '64kb' }), async (req, res) => {
    const outcome = await registerPartner(db, log, req.body)
    if (!outcome.ok) return send(res, outcome.problem)
    const { id, name, addresses, apiKey } = outcome.value
    res.status(201).json({ id, name, addresses, apiKey })
  })
}
