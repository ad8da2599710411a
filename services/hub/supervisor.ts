// `npm start -- --processes [--replicas N]`: each service in a child process of its own (`facteur run <service>`,
// run-cli.ts) instead of the six in one process (hub.ts), on the servers main.ts provisioned, so that they use
// every core and scale as they would over several machines: N instances of a consumer service share its
// consumer group, and Kafka shares the partitions among them. One gateway (it owns the HTTP port).
// The children get the servers through the environment (FACTEUR_KAFKA_BROKERS, FACTEUR_SCHEMA_REGISTRY_URL,
// DATABASE_URL) and log to the same stdout (pino JSON; each line names its service and pid). The database, the
// topics and the seeded keys are prepared once, here, before any child starts. A child that dies is started
// again after a back-off; one that exits cleanly was asked to stop (SIGTERM from outside) and is left stopped.
// stop(): SIGTERM to the gateway (no new documents), then to the consumers, and SIGKILL to what is left
// FACTEUR_SHUTDOWN_TIMEOUT_MS after the stop began; main.ts stops the servers after that.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../kit/config.js'
import type { Logger } from '../kit/log.js'
import { seedHub, type Hub } from './hub.js'
import { freePort } from './local/processes.js'
import { consumerServices, type ServiceName } from './run-cli.js'

export type PlannedProcess = { service: ServiceName; instance: number; env: Record<string, string> }

/**
 * Validation worker threads per validation process: one per core is the default of one process, so with
 * N processes each gets cores / N (at least one), unless the user set FACTEUR_VALIDATION_WORKERS.
 */
export function validationWorkers(env: NodeJS.ProcessEnv, cores: number, replicas: number): string {
  const set = env.FACTEUR_VALIDATION_WORKERS?.trim()
  return set ? set : String(Math.max(1, Math.floor(cores / replicas)))
}

/**
 * The children to run: `replicas` of each consumer service, in path order, then one gateway (started last). A
 * fixed FACTEUR_HEALTH_PORT P becomes P, P+1, … for the consumer processes in that order (they cannot share it).
 */
export function planProcesses(options: { replicas: number; cores: number; env: NodeJS.ProcessEnv }): PlannedProcess[] {
  const healthBase = Number(options.env.FACTEUR_HEALTH_PORT) || 0
  const consumers = consumerServices.flatMap((service) => Array.from({ length: options.replicas }, (_, i): PlannedProcess => ({
    service, instance: i + 1,
    env: service === 'validation' ? { FACTEUR_VALIDATION_WORKERS: validationWorkers(options.env, options.cores, options.replicas) } : {},
  })))
  if (healthBase > 0) consumers.forEach((p, i) => { p.env.FACTEUR_HEALTH_PORT = String(healthBase + i) })
  return [...consumers, { service: 'gateway', instance: 1, env: {} }]
}

/**
 * How long to wait before starting again a child that died after `failures` deaths in a row (a child that ran
 * for a minute starts the count again): 1 s, doubling, at most 30 s, so a service that cannot start does not
 * spin while its cause (a server down, a bad setting) is fixed.
 */
export function restartDelayMs(failures: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, failures - 1))
}
const STABLE_AFTER_MS = 60_000

// bin/facteur.mjs, from this module whether it runs from the sources or from dist/ (bin/build.mjs, which has no
// package.json): the first folder up with a package.json is the checkout.
function facteurBin(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'bin', 'facteur.mjs')
    if (dirname(dir) === dir) throw new Error('no package.json above services/hub: cannot find bin/facteur.mjs')
  }
}

type Slot = PlannedProcess & {
  child: ChildProcess | null
  startedAt: number
  failures: number
  restart: NodeJS.Timeout | null
  /** the child's `started` message, or its exit before it */
  started: Promise<{ url?: string }>
  /** started once: from then on a death means a restart; before, it fails `npm start` */
  up: boolean
}

export async function startProcesses(options: {
  config: Config; log: Logger; keys: { demo: string; admin: string }; replicas: number
  /** the children's environment: the user's, with the servers main.ts provisioned */
  env: NodeJS.ProcessEnv
}): Promise<Hub> {
  const { config, log, replicas } = options
  const portal = await seedHub(options)
  // A fixed port, so that a gateway started again answers where the first one did.
  const httpPort = config.httpPort || await freePort()
  const bin = facteurBin()
  let stopping = false
  const slots: Slot[] = []
  const name = (s: Slot) => `${s.service}${replicas > 1 && s.service !== 'gateway' ? ` #${s.instance}` : ''}`
  const alive = (s: Slot) => s.child !== null && s.child.exitCode === null && s.child.signalCode === null

  function launch(slot: Slot): void {
    const child = spawn(process.execPath, [bin, 'run', slot.service], {
      env: { ...options.env, FACTEUR_HTTP_PORT: String(httpPort), ...slot.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    slot.child = child
    slot.startedAt = Date.now()
    slot.started = new Promise((resolve, reject) => {
      child.on('message', (m: { facteur?: string; url?: string }) => { if (m.facteur === 'started') { slot.up = true; resolve({ url: m.url }) } })
      child.on('exit', (code, signal) => reject(new Error(`${name(slot)} exited during start-up (${signal ?? `code ${code}`}); see its log lines above`)))
    })
    slot.started.catch(() => {})
    child.on('error', (err) => log.error({ err, child: slot.service, instance: slot.instance }, `${name(slot)}: its process could not be started or signalled`))
    log.info({ child: slot.service, instance: slot.instance, pid: child.pid }, `${name(slot)} started as process ${child.pid}`)
    child.on('exit', (code, signal) => {
      if (stopping || !slot.up) return
      if (code === 0) {
        log.warn({ child: slot.service, instance: slot.instance, pid: child.pid }, `${name(slot)} (process ${child.pid}) stopped when asked to; not started again`)
        return
      }
      slot.failures = Date.now() - slot.startedAt >= STABLE_AFTER_MS ? 1 : slot.failures + 1
      const delayMs = restartDelayMs(slot.failures)
      log.error({ child: slot.service, instance: slot.instance, pid: child.pid, code, signal, restartInMs: delayMs },
        `${name(slot)} (process ${child.pid}) died (${signal ?? `exit code ${code}`}); starting it again in ${delayMs / 1000} s`)
      slot.restart = setTimeout(() => { slot.restart = null; if (!stopping) launch(slot) }, delayMs)
    })
  }

  // An exit of the hub by any path (a deadline, an error) takes the children along; 'exit' handlers are synchronous.
  const killAll = () => { for (const s of slots) if (alive(s)) s.child!.kill('SIGKILL') }
  process.on('exit', killAll)

  /** SIGTERM to each, then waits for them to exit until `deadline`; SIGKILL to what is left then. */
  async function terminate(group: Slot[], deadline: number): Promise<void> {
    const running = group.filter(alive)
    const exited = running.map((s) => new Promise<void>((resolve) => s.child!.once('exit', () => resolve())))
    for (const s of running) s.child!.kill('SIGTERM')
    await Promise.race([Promise.all(exited), sleep(Math.max(0, deadline - Date.now()))])
    const left = running.filter(alive)
    if (left.length === 0) return
    log.error({ pending: left.map(name), timeoutMs: config.shutdownTimeoutMs }, `shutdown deadline passed; killing ${left.map(name).join(', ')} (uncommitted messages are redelivered at the next start)`)
    for (const s of left) s.child!.kill('SIGKILL')
    await Promise.race([Promise.all(exited), sleep(2_000)])
  }

  const stop = async () => {
    stopping = true
    for (const s of slots) if (s.restart) clearTimeout(s.restart)
    const deadline = Date.now() + config.shutdownTimeoutMs
    await terminate(slots.filter((s) => s.service === 'gateway'), deadline)
    await terminate(slots.filter((s) => s.service !== 'gateway'), deadline)
    process.off('exit', killAll)
  }

  const plan = planProcesses({ replicas, cores: availableParallelism(), env: options.env })
  const newSlot = (p: PlannedProcess): Slot => ({ ...p, child: null, startedAt: 0, failures: 0, restart: null, started: Promise.resolve({}), up: false })
  try {
    // The consumers first, all at once; the gateway once they are up, so it accepts documents only then (as hub.ts).
    const consumers = plan.filter((p) => p.service !== 'gateway').map(newSlot)
    slots.push(...consumers)
    consumers.forEach(launch)
    await Promise.all(consumers.map((s) => s.started))
    const gateway = newSlot(plan.find((p) => p.service === 'gateway')!)
    slots.push(gateway)
    launch(gateway)
    const { url } = await gateway.started
    return {
      url: url ?? `http://${config.httpHost}:${httpPort}`, portal,
      stop,
      stillStopping: () => slots.filter(alive).map(name),
    }
  } catch (error) {
    await stop()
    throw error
  }
}
