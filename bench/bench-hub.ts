// What the end-to-end benchmarks share: the hub started as `npm start` starts it (services/hub/main.ts under tsx,
// in a process group of its own, with its own run dir, topic prefix and database), a local HTTP receiver that
// records every delivery, and the resident memory of the hub's Node processes.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { freePort } from '../services/hub/local/processes.js'
import { compiledPath } from '../bin/build.mjs'

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)))

export type BenchHub = {
  gateway: string; keys: { demo: string; admin: string }; databaseUrl: string; runDir: string; topicPrefix: string
  /** The process group's leader (null when the benchmark uses a hub it did not start). */
  child(): ChildProcess | null
  start(): ChildProcess
  waitReady(timeoutMs?: number): Promise<number>
  /** SIGKILL to the whole process group: the hub and everything it started in it. */
  kill(): void
  /** SIGTERM and wait; drops the database unless `keep`. */
  stop(options?: { keep?: boolean }): Promise<void>
}

/** A hub of the benchmark's own (`env` on top of the benchmark settings; `args` after main.ts, e.g. --processes). */
export async function startBenchHub(name: string, env: Record<string, string> = {}, args: string[] = [], nodeArgs: string[] = []): Promise<BenchHub> {
  const runDir = join(root, '.facteur', name)
  const stamp = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`
  const topicPrefix = `${name}-${stamp}`
  const baseDb = new URL(process.env.DATABASE_URL ?? `postgres://${process.env.PGUSER ?? 'postgres'}@127.0.0.1:5432/postgres`)
  const dbUrl = new URL(baseDb.toString()); dbUrl.pathname = `/facteur_${name.replaceAll('-', '_')}_${stamp}`
  const adminUrl = new URL(baseDb.toString()); adminUrl.pathname = '/postgres'
  const keys = { demo: `fct_${randomBytes(24).toString('base64url')}`, admin: `fct_${randomBytes(24).toString('base64url')}` }
  rmSync(runDir, { recursive: true, force: true })
  mkdirSync(join(runDir, 'logs'), { recursive: true })
  const port = await freePort()
  const hubEnv = {
    ...process.env,
    FACTEUR_RUN_DIR: runDir, FACTEUR_TOPIC_PREFIX: topicPrefix, DATABASE_URL: dbUrl.toString(), FACTEUR_HTTP_PORT: String(port),
    FACTEUR_DEMO_API_KEY: keys.demo, FACTEUR_ADMIN_API_KEY: keys.admin, FACTEUR_LOG_LEVEL: 'info',
    // The receiver is on loopback, refused unless allowed; the client is one key posting fast.
    FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1', FACTEUR_RATE_LIMIT_PER_SECOND: '100000', FACTEUR_RATE_LIMIT_BURST: '100000',
    ...env,
  }
  let child: ChildProcess | null = null
  let generation = 0
  const gateway = `http://127.0.0.1:${port}`
  const hub: BenchHub = {
    gateway, keys, databaseUrl: dbUrl.toString(), runDir, topicPrefix,
    child: () => child,
    start() {
      generation++
      const out = openSync(join(runDir, 'logs', `hub-${generation}.log`), 'a')
      // As `npm start` runs it: bin/start.mjs, which runs the compiled dist/ when current (else tsx). With node
      // options (a profile: Node refuses --cpu-prof in NODE_OPTIONS), the hub itself, compiled or under tsx.
      const source = join(root, 'services/hub/main.ts')
      const compiled = compiledPath(source)
      const command = nodeArgs.length === 0 ? [join(root, 'bin/start.mjs')] : [...nodeArgs, ...(compiled ? [compiled] : ['--import', 'tsx', source])]
      child = spawn(process.execPath, [...command, ...args], { cwd: root, env: hubEnv, stdio: ['ignore', out, out], detached: true })
      closeSync(out)
      return child
    },
    async waitReady(timeoutMs = 300_000) {
      const t0 = Date.now()
      while (Date.now() - t0 < timeoutMs) {
        const res = await fetch(`${gateway}/readyz`, { signal: AbortSignal.timeout(3_000) }).catch(() => null)
        if (res?.status === 200) return Date.now() - t0
        if (child?.exitCode !== null && child?.exitCode !== undefined) throw new Error(`the hub exited (${child.exitCode}); see ${runDir}/logs/hub-${generation}.log`)
        await sleep(500)
      }
      throw new Error(`the hub was not ready after ${timeoutMs / 1000} s; see ${runDir}/logs/hub-${generation}.log`)
    },
    kill() { try { process.kill(-child!.pid!, 'SIGKILL') } catch { /* already gone */ } },
    async stop(options = {}) {
      const c = child
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM')
        await new Promise<void>((r) => { c.once('exit', () => r()); setTimeout(r, 40_000).unref() })
      }
      if (options.keep) return
      const admin = new pg.Client({ connectionString: adminUrl.toString() })
      await admin.connect()
      await admin.query(`DROP DATABASE IF EXISTS ${dbUrl.pathname.slice(1)} WITH (FORCE)`).catch(() => {})
      await admin.end()
    },
  }
  return hub
}

export type Delivery = { documentId: string; idempotencyKey: string; at: number }

/** An HTTP recipient on loopback that answers 200 to every POST and records it. */
export async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; close(): void }> {
  const deliveries: Delivery[] = []
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      deliveries.push({ documentId: String(req.headers['x-facteur-document-id'] ?? ''), idempotencyKey: String(req.headers['idempotency-key'] ?? ''), at: Date.now() })
      res.writeHead(200).end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`, deliveries, close: () => server.close() }
}

/**
 * Resident memory of the Node processes in the process group of `pid` (the hub and, in processes mode, its
 * services; validation workers are threads, counted in their process), in MB. The JVMs (Kafka, registry) and
 * PostgreSQL are left out.
 */
export function nodeRssMb(pid: number): { total: number; processes: number } {
  let total = 0
  let processes = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      if (Number(fields[2]) !== pid || !/node/.test(comm)) continue // fields[2]: the process group id
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))
      if (rss) { total += Number(rss[1]) / 1024; processes++ }
    } catch { /* gone meanwhile */ }
  }
  return { total: Math.round(total), processes }
}

/** The p-quantiles of `values` (nearest rank), in the values' unit. */
export function quantiles(values: number[], ps: number[] = [0.5, 0.95, 0.99]): number[] {
  const sorted = [...values].sort((a, b) => a - b)
  return ps.map((p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!))
}

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/**
 * CPU seconds used so far (user + system, threads included) by the hub's Node processes (process group of
 * `pid`), the JVMs (Kafka, the registry) and PostgreSQL's processes: where the machine's time goes.
 */
export function cpuSeconds(pid: number): { hub: number; jvm: number; postgres: number } {
  const out = { hub: 0, jvm: 0, postgres: 0 }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND // utime, stime
      if (Number(fields[2]) === pid && /node/.test(comm)) out.hub += seconds
      else if (comm === 'java') out.jvm += seconds
      else if (comm === 'postgres' || comm.startsWith('postgres')) out.postgres += seconds
    } catch { /* gone meanwhile */ }
  }
  return out
}

/** CPU milliseconds per document between two cpuSeconds() readings. */
export function cpuPerDocument(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, documents: number) {
  const ms = (k: keyof typeof before) => +(((after[k] - before[k]) * 1000) / Math.max(1, documents)).toFixed(2)
  return { hubNode: ms('hub'), jvms: ms('jvm'), postgres: ms('postgres') }
}
