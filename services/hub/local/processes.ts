// Server processes the hub starts (JVMs). Three rules: bind 127.0.0.1 only (callers pass the options), log to
// a file in the run dir, and never outlive their owner. A JVM is started under a small shell watchdog that
// kills it when the owning Node process disappears, even by SIGKILL (no exit handler runs then); stop()
// sends SIGTERM and, after 15 s, SIGKILL.
import { spawn } from 'node:child_process'
import { openSync, readFileSync, closeSync, existsSync } from 'node:fs'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export type ServerProcess = { pid: number; logFile: string; exited(): boolean; stop(): Promise<void> }

export const isAlive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Sends SIGTERM, waits up to `graceMs` for the process to go, then SIGKILL. */
export async function terminate(pid: number, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return
  try { process.kill(pid, 'SIGTERM') } catch { return }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return
    await sleep(100)
  }
  try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
}

const owned = new Set<number>()
let hooked = false
function killOwnedOnExit() {
  if (hooked) return
  hooked = true
  // 'exit' handlers must be synchronous: SIGKILL whatever is left (stop() normally ran before).
  process.on('exit', () => { for (const pid of owned) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } } })
}

/**
 * Starts `command args` with output appended to `logFile`. `detached`: for `npm run infra:up`, the server
 * outlives this process (stopped by `infra:down`); otherwise it is watched and dies with its owner.
 */
export function startServer(options: { command: string; args: string[]; logFile: string; env?: NodeJS.ProcessEnv; detached?: boolean; cwd?: string }): ServerProcess {
  const out = openSync(options.logFile, 'a')
  let child
  if (options.detached) {
    child = spawn(options.command, options.args, { stdio: ['ignore', out, out], env: options.env ?? process.env, detached: true, cwd: options.cwd })
    child.unref()
  } else {
    // exec replaces the shell by the JVM after a watchdog is forked: the watchdog polls the owner's pid and
    // kills the JVM (TERM, then KILL) once the owner is gone.
    const watchdog = `owner=${process.pid}; me=$$; ( while kill -0 $owner 2>/dev/null && kill -0 $me 2>/dev/null; do sleep 1; done
      if kill -0 $me 2>/dev/null; then kill -TERM $me; n=0; while kill -0 $me 2>/dev/null && [ $n -lt 15 ]; do sleep 1; n=$((n+1)); done; kill -KILL $me 2>/dev/null; fi
    ) >/dev/null 2>&1 & exec "$@"`
    // Its own process group (detached), so a terminal's Ctrl-C reaches only the hub: the hub stops its services
    // first (they commit their offsets to this broker) and then the servers, instead of Kafka going away under
    // them. A `kill -9` of the hub's group still takes the servers down, through the watchdog.
    child = spawn('/bin/sh', ['-c', watchdog, 'facteur-server', options.command, ...options.args], { stdio: ['ignore', out, out], env: options.env ?? process.env, cwd: options.cwd, detached: true })
    killOwnedOnExit()
  }
  closeSync(out)
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${options.command}`)
  let exited = false
  child.on('exit', () => { exited = true; owned.delete(pid) })
  if (!options.detached) owned.add(pid)
  return {
    pid,
    logFile: options.logFile,
    exited: () => exited || !isAlive(pid),
    async stop() { await terminate(pid); owned.delete(pid) },
  }
}

/** The last lines of a log, for error messages that point at the cause. */
export function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)'
  return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n')
}

/** Polls `probe` until it resolves true; fails with the log tail if the process dies or time runs out. */
export async function waitUntilReady(name: string, server: ServerProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (server.exited()) throw new Error(`${name} exited during start-up; see ${server.logFile}:\n${logTail(server.logFile)}`)
    if (await probe().catch(() => false)) return
    await sleep(250)
  }
  await server.stop()
  throw new Error(`${name} not ready after ${timeoutMs / 1000} s; see ${server.logFile}:\n${logTail(server.logFile)}`)
}
