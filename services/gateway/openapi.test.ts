// Keeps GET /v1/openapi.json true to the code: a well-formed OpenAPI 3.1 document, exactly the routes the
// express app registers, the lifecycle and error catalogue of the code, and the key each operation needs as
// the app enforces it. No database, Kafka or hub: the app is built on stub dependencies.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from './app.js'
import { httpMethods, openapi, type OpenApiDocument, type Operation } from './openapi.js'
import { acceptedMediaTypes } from './deposit.js'
import { reasonRequired } from './lifecycle-routes.js'
import { hashApiKey } from './api-keys.js'
import { loadConfig } from '../kit/config.js'
import { createLogger } from '../kit/log.js'
import { errorCodes, problemType, type ErrorCode } from '../kit/errors.js'
import { businessTransitions, statuses, type Status } from '../../schemas/lifecycle.js'

type Json = { [key: string]: unknown }
const doc: OpenApiDocument = openapi

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Resolves a local JSON pointer (`#/components/…`) in the document; undefined when it leads nowhere. */
function resolvePointer(pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined
  let node: unknown = doc
  for (const raw of pointer.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (!isObject(node) && !Array.isArray(node)) return undefined
    node = (node as Json)[key]
    if (node === undefined) return undefined
  }
  return node
}
const deref = <T>(v: T | { $ref: string }): T => (isObject(v) && typeof v.$ref === 'string' ? deref(resolvePointer(v.$ref) as T) : v as T)

function collectRefs(node: unknown, at: string, out: { ref: string; at: string }[] = []) {
  if (Array.isArray(node)) node.forEach((v, i) => collectRefs(v, `${at}/${i}`, out))
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ ref: v, at })
      else collectRefs(v, `${at}/${k}`, out)
    }
  }
  return out
}

const operations = () => Object.entries(doc.paths).flatMap(([path, item]) =>
  httpMethods.flatMap((method) => (item[method] ? [{ path, method, op: item[method] as Operation, item }] : [])))

// ---- the app, on dependencies that construction must not touch ----

/** A stand-in that fails the test on any use: createApp must not reach its db at construction. */
const untouchable = new Proxy({}, { get: (_t, key) => { throw new Error(`createApp touched db.${String(key)} at construction`) } })
const stubDeps = () => ({ config: loadConfig({}), db: untouchable as never, log: createLogger('silent'), checks: {} })

/** Method + path of every route of the app, in OpenAPI form (`:id` → `{id}`, `\:import` → `:import`). */
function registeredRoutes(): string[] {
  const app = createApp(stubDeps())
  const stack = (app as unknown as { router: { stack: { route?: { path: unknown; methods: Record<string, boolean> } }[] } }).router.stack
  const routes: string[] = []
  for (const layer of stack) {
    if (!layer.route) continue // the 404 catch-all and the error handler
    const { path, methods } = layer.route
    // The Chorus Pro-compatible API is Chorus Pro's (PISTE's token, /cpro/...): documented by AIFE and, for what the
    // hub does with it, in the README; this document is the hub's own API.
    if (typeof path === 'string' && (path.startsWith('/cpro/') || path === '/api/oauth/token')) continue
    if (typeof path !== 'string') throw new Error(`route ${String(path)} is not a plain string path: document it and teach this test`)
    const openapiPath = path.replaceAll('\\:', '\u0000').replace(/:([A-Za-z0-9_]+)/g, '{$1}').replaceAll('\u0000', ':')
    for (const [method, on] of Object.entries(methods)) if (on) routes.push(`${method.toUpperCase()} ${openapiPath}`)
  }
  return routes
}

describe('openapi.json: a well-formed OpenAPI 3.1 document', () => {
  it('has the required top-level fields', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(doc.info.title).toBeTruthy()
    expect(doc.info.version).toBeTruthy()
    expect(isObject(doc.paths)).toBe(true)
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\//)
    // It is served as JSON: nothing that JSON would drop or change.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc)
  })

  it('resolves every $ref inside the document', () => {
    const refs = collectRefs(doc, '#')
    expect(refs.length).toBeGreaterThan(20)
    const broken = refs.filter(({ ref }) => resolvePointer(ref) === undefined).map(({ ref, at }) => `${at}: ${ref}`)
    expect(broken).toEqual([])
  })

  it('declares every path parameter, and only those, as required', () => {
    for (const { path, method, op, item } of operations()) {
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref(p)).filter((p) => p.in === 'path')
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
      expect(declared.map((p) => p.name).sort(), `${method.toUpperCase()} ${path}`).toEqual(inTemplate.sort())
      for (const p of declared) expect(p.required, `${method.toUpperCase()} ${path} {${p.name}}`).toBe(true)
    }
  })

  it('gives every operation a unique operationId, a 2xx response and valid response keys', () => {
    const ids = operations().map(({ op }) => op.operationId)
    expect(ids.every((id) => typeof id === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    for (const { path, method, op } of operations()) {
      const codes = Object.keys(op.responses)
      expect(codes.some((c) => /^2/.test(c)), `${method.toUpperCase()} ${path}`).toBe(true)
      for (const c of codes) expect(c).toMatch(/^([1-5]([0-9]{2}|XX)|default)$/)
    }
  })

  it('uses only declared security schemes, and says which key each operation takes', () => {
    const schemes = Object.keys(doc.components.securitySchemes ?? {})
    for (const requirement of [...(doc.security ?? []), ...operations().flatMap(({ op }) => op.security ?? [])]) {
      for (const name of Object.keys(requirement)) expect(schemes).toContain(name)
    }
    for (const { path, method, op } of operations()) {
      const key = op['x-facteur-key']
      expect(['partner', 'admin', 'any', 'none'], `${method.toUpperCase()} ${path}`).toContain(key)
      // Public operations override the document's bearer requirement with an empty one, and only they do.
      expect(op.security !== undefined && op.security.length === 0, `${method.toUpperCase()} ${path}`).toBe(key === 'none')
    }
  })
})

describe('openapi.json: true to the code', () => {
  it('documents every route of the app, and only routes of the app', () => {
    const registered = registeredRoutes()
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`)
    // (GET /v1/documents/{id}/receipts was documented while it was being written; it is registered now,
    // so no route is "documented, pending" any more.)
    expect(new Set(registered).size).toBe(registered.length)
    expect({ undocumented: registered.filter((r) => !documented.includes(r)), notRegistered: documented.filter((d) => !registered.includes(d)) })
      .toEqual({ undocumented: [], notRegistered: [] })
  })

  it('lists the statuses, those a partner may set and those that need a reason, as schemas/lifecycle.ts does', () => {
    const schemas = doc.components.schemas!
    expect(schemas.Status!.enum).toEqual(Object.keys(statuses))
    const request = schemas.StatusRequest as { properties: { status: { enum: string[] } }; if: { properties: { status: { enum: string[] } } } }
    expect(request.properties.status.enum).toEqual((Object.keys(statuses) as Status[]).filter((s) => statuses[s].by !== 'hub'))
    expect([...request.if.properties.status.enum].sort()).toEqual([...reasonRequired].sort())
  })

  it('describes the transition table of schemas/lifecycle.ts', () => {
    const description = doc.paths['/v1/documents/{id}/status']!.post!.description!
    const rows = [...description.matchAll(/^\| ([A-Z_]+) \| ([A-Z_, ]+) \|$/gm)].map((m) => [m[1], m[2]!.split(', ')])
    const expected = Object.entries(businessTransitions).filter(([, to]) => to && to.length > 0).map(([from, to]) => [from, [...to!]])
    expect(rows).toEqual(expected)
  })

  it('accepts for a deposit exactly the media types deposit.ts accepts', () => {
    const body = deref(doc.paths['/v1/documents']!.post!.requestBody!)
    expect(Object.keys(body.content).sort()).toEqual([...acceptedMediaTypes].sort())
  })

  it('gives every error response the problem types of kit/errors.ts with their statuses', () => {
    const codeOfType = new Map((Object.keys(errorCodes) as ErrorCode[]).map((c) => [problemType(c), c]))
    const typesOf = (schema: unknown): string[] => {
      const s = deref(schema) as Json
      const own = isObject(s.properties) && isObject(s.properties.type)
        ? [...(typeof s.properties.type.const === 'string' ? [s.properties.type.const] : []), ...(Array.isArray(s.properties.type.enum) ? s.properties.type.enum as string[] : [])]
        : []
      return [...own, ...(Array.isArray(s.allOf) ? s.allOf.flatMap(typesOf) : [])]
    }
    let checked = 0
    for (const { path, method, op } of operations()) {
      for (const [status, raw] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status) || path === '/readyz') continue
        const where = `${method.toUpperCase()} ${path} ${status}`
        const content = deref(raw).content ?? {}
        expect(Object.keys(content), where).toEqual(['application/problem+json'])
        const types = typesOf(content['application/problem+json']!.schema)
        expect(types.length, where).toBeGreaterThan(0)
        for (const type of types) {
          const code = codeOfType.get(type)
          expect(code, `${where}: ${type}`).toBeDefined()
          expect(errorCodes[code!].status, `${where}: ${type}`).toBe(Number(status))
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(50)
  })
})

describe('GET /v1/openapi.json on a running app', () => {
  const keys = { partner: 'fct_partner_key_for_openapi_test', admin: 'fct_admin_key_for_openapi_test' }
  /** Answers the API-key look-up only: whatever else a handler asks of it fails (500), after the auth checks. */
  const keyOnlyDb = {
    query: async (sql: string, params: unknown[]) => {
      if (/FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE k.key_hash/.test(sql)) {
        const role = params[0] === hashApiKey(keys.partner) ? 'partner' : params[0] === hashApiKey(keys.admin) ? 'admin' : null
        return { rows: role ? [{ id: '6f1c2a3b-0000-4000-8000-000000000001', name: role, role, key_id: '6f1c2a3b-0000-4000-8000-0000000000k1'.replace('k', '0'), revoked_at: null, expires_at: null, now: new Date() }] : [] }
      }
      throw new Error('openapi.test: no database here')
    },
    connect: async () => { throw new Error('openapi.test: no database here') },
  }
  let server: Server
  let base: string
  beforeAll(async () => {
    const app = createApp({ ...stubDeps(), db: keyOnlyDb as never })
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('serves the document as JSON, without a key', async () => {
    const res = await fetch(`${base}/v1/openapi.json`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openapi)))
  })

  it('asks for the key each operation documents: none, any, a partner key or the admin key', async () => {
    const concrete = (path: string, item: OpenApiDocument['paths'][string], op: Operation) =>
      path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
        const p = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((x) => deref(x)).find((x) => x.in === 'path' && x.name === name)
        return encodeURIComponent(String(p?.example ?? 'x'))
      })
    const call = async (method: string, path: string, key?: string) =>
      (await fetch(`${base}${path}`, { method: method.toUpperCase(), headers: key ? { authorization: `Bearer ${key}` } : {} })).status
    const seen: string[] = []
    for (const { path, method, op, item } of operations()) {
      const url = concrete(path, item, op)
      const kind = op['x-facteur-key']
      const anonymous = await call(method, url)
      const asPartner = await call(method, url, keys.partner)
      const asAdmin = await call(method, url, keys.admin)
      seen.push(`${method.toUpperCase()} ${path}: ${anonymous} ${asPartner} ${asAdmin}`)
      const where = `${method.toUpperCase()} ${path} (${kind})`
      if (kind === 'none') {
        expect(anonymous, where).toBe(200)
        continue
      }
      expect(anonymous, where).toBe(401)
      expect(asPartner === 403, `${where} with a partner key`).toBe(kind === 'admin')
      expect(asAdmin === 403, `${where} with the admin key`).toBe(kind === 'partner')
      // The key was accepted: the request went past authentication.
      expect(asPartner === 401 || asAdmin === 401, where).toBe(false)
    }
    expect(seen.length).toBe(operations().length)
  })
})
