// Admin routes of operations: dead letters and delivery jobs, listed and replayed (operations.ts does the work;
// `npx facteur dlq|deliveries` does the same from a shell). Paths are a contract (openapi.json).
import express, { type Express, type Request, type RequestHandler, type Response } from 'express'
import type { Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { problem, type Problem } from '../kit/problem.js'
import {
  listDeadLetters, listDeliveries, parseDeliverySelector, replayDeadLetters, resolveTopic, retryDeliveries, type DeadLetterSelector,
} from './operations.js'

type Helpers = { db: Db; log: Logger; topicPrefix: string; admin: RequestHandler; send: (res: Response, p: Problem) => void }

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STATES = ['pending', 'delivered', 'failed']

const one = (q: Record<string, unknown>, key: string): string | undefined => {
  const v = q[key]
  return v === undefined ? undefined : Array.isArray(v) ? String(v.at(-1)) : String(v)
}

function parseLimit(raw: string | undefined): Parsed<number> {
  if (raw === undefined) return { ok: true, value: 100 }
  const n = Number(raw)
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? { ok: true, value: n } : { ok: false, message: '`limit` is an integer from 1 to 1000' }
}

/** Exactly one of `id`, `topic`, `documentId`, `all: true`: a replay of everything is never implied. */
export function parseDeadLetterSelector(body: unknown, prefix: string): Parsed<DeadLetterSelector> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const given = ['id', 'topic', 'documentId', 'all'].filter((k) => b[k] !== undefined)
  if (given.length !== 1) return { ok: false, message: 'give exactly one of `id`, `topic`, `documentId` or `"all": true`' }
  if (b.id !== undefined) return /^\d{1,18}$/.test(String(b.id)) ? { ok: true, value: { id: String(b.id) } } : { ok: false, message: '`id` is a dead letter id (digits)' }
  if (b.topic !== undefined) {
    const topic = typeof b.topic === 'string' ? resolveTopic(prefix, b.topic) : null
    return topic ? { ok: true, value: { topic } } : { ok: false, message: `\`topic\` '${String(b.topic)}' is not a topic of this hub (e.g. document.validated)` }
  }
  if (b.documentId !== undefined) return typeof b.documentId === 'string' && UUID.test(b.documentId) ? { ok: true, value: { documentId: b.documentId } } : { ok: false, message: '`documentId` is a document id (UUID)' }
  return b.all === true ? { ok: true, value: { all: true } } : { ok: false, message: '`all` must be true' }
}

// One parser for the admin API, the CLI and the portal (a job by `id`, a document's, an endpoint's, or all).
export { parseDeliverySelector }

/** Who replayed, for the history: the admin principal's name. */
const operatorOf = (req: Request) => `admin '${(req as Request & { principal?: { name?: string } }).principal?.name ?? 'admin'}'`

export function operationsRoutes(app: Express, { db, log, topicPrefix, admin, send }: Helpers) {
  app.get('/v1/admin/dead-letters', admin, async (req, res) => {
    const q = req.query as Record<string, unknown>
    const limit = parseLimit(one(q, 'limit'))
    if (!limit.ok) return send(res, problem('INVALID_REQUEST', limit.message))
    const rawTopic = one(q, 'topic')
    const topic = rawTopic === undefined ? undefined : resolveTopic(topicPrefix, rawTopic)
    if (topic === null) return send(res, problem('INVALID_REQUEST', `\`topic\` '${rawTopic}' is not a topic of this hub (e.g. document.validated)`))
    const documentId = one(q, 'documentId')
    if (documentId !== undefined && !UUID.test(documentId)) return send(res, problem('INVALID_REQUEST', '`documentId` is a document id (UUID)'))
    const replayed = one(q, 'replayed')
    if (replayed !== undefined && replayed !== 'false' && replayed !== 'true') return send(res, problem('INVALID_REQUEST', '`replayed` is true or false'))
    res.json({ deadLetters: await listDeadLetters(db, topicPrefix, { topic, documentId, replayed: replayed === undefined ? undefined : replayed === 'true', limit: limit.value }) })
  })

  app.post('/v1/admin/dead-letters/replay', admin, express.json({ limit: '16kb' }), async (req, res) => {
    const selector = parseDeadLetterSelector(req.body, topicPrefix)
    if (!selector.ok) return send(res, problem('INVALID_REQUEST', selector.message))
    const by = operatorOf(req)
    const result = await replayDeadLetters(db, topicPrefix, selector.value, by)
    log.info({ selector: selector.value, by, replayed: result.replayed.length, skipped: result.skipped.length }, 'dead letters replayed')
    res.json(result)
  })

  app.get('/v1/admin/deliveries', admin, async (req, res) => {
    const q = req.query as Record<string, unknown>
    const limit = parseLimit(one(q, 'limit'))
    if (!limit.ok) return send(res, problem('INVALID_REQUEST', limit.message))
    const state = one(q, 'state')
    if (state !== undefined && !STATES.includes(state)) return send(res, problem('INVALID_REQUEST', `\`state\` is one of ${STATES.join(', ')}`))
    const documentId = one(q, 'documentId')
    if (documentId !== undefined && !UUID.test(documentId)) return send(res, problem('INVALID_REQUEST', '`documentId` is a document id (UUID)'))
    res.json({ deliveries: await listDeliveries(db, topicPrefix, { state, documentId, endpoint: one(q, 'endpoint'), limit: limit.value }) })
  })

  app.post('/v1/admin/deliveries/retry', admin, express.json({ limit: '16kb' }), async (req, res) => {
    const selector = parseDeliverySelector(req.body)
    if (!selector.ok) return send(res, problem('INVALID_REQUEST', selector.message))
    const by = operatorOf(req)
    const result = await retryDeliveries(db, topicPrefix, selector.value, by)
    log.info({ selector: selector.value, by, retried: result.retried.length, skipped: result.skipped.length }, 'failed deliveries retried')
    res.json(result)
  })
}
