// /healthz (the process is alive) and /readyz (its dependencies answer and its consumers are not failing),
// and /metrics (the process's Prometheus registry, kit/metrics.ts), for a consuming service run alone. The
// gateway serves the same paths on its own port.
import http from 'node:http'
import type { Deps } from './deps.js'

export type ReadinessCheck = () => Promise<string | null>

/**
 * `work`, or a rejection after `ms` naming `what`: PostgreSQL and Kafka clients wait for a connection without
 * limit during an outage, and a health answer or a scrape must not.
 */
export function withinTime<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms) })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** Runs each check; returns the failures by name (empty when ready). */
export async function readiness(checks: Record<string, ReadinessCheck>): Promise<Record<string, string>> {
  const failures: Record<string, string> = {}
  await Promise.all(Object.entries(checks).map(async ([name, check]) => {
    try {
      const problem = await Promise.race([check(), new Promise<string>((r) => setTimeout(() => r('timed out after 2 s'), 2_000).unref())])
      if (problem) failures[name] = problem
    } catch (error) {
      failures[name] = String((error as Error).message ?? error)
    }
  }))
  return failures
}

/** The checks every service has: PostgreSQL and Kafka answer. */
export function infraChecks(deps: Pick<Deps, 'db' | 'bus'>): Record<string, ReadinessCheck> {
  return {
    postgresql: async () => { await deps.db.query('SELECT 1'); return null },
    kafka: async () => { await deps.bus.ping(); return null },
  }
}

export function serveHealth(options: { host: string; port: number; checks: Record<string, ReadinessCheck>; metrics?: { contentType: string; text(): Promise<string> } }): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }))
    } else if (req.url === '/readyz') {
      const failures = await readiness(options.checks)
      const ok = Object.keys(failures).length === 0
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not ready', failures }))
    } else if (req.url === '/metrics' && options.metrics) {
      try {
        const text = await options.metrics.text()
        res.writeHead(200, { 'content-type': options.metrics.contentType }).end(text)
      } catch (error) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`the metrics could not be read: ${(error as Error).message}`)
      }
    } else {
      res.writeHead(404).end()
    }
  })
  return new Promise((resolve) => server.listen(options.port, options.host, () => resolve(server)))
}
