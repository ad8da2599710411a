// `npx facteur run <service>` as `npm start -- --processes` uses it (hub/supervisor.ts): two ingest processes on
// the real broker join one consumer group and share its partitions, each tells its supervisor it started (IPC)
// and serves /readyz; one stops on SIGTERM, the other when its supervisor goes away. On a topic prefix of its
// own (own topics and groups), so the shared hub's consumers are left alone.
import { describe, expect, test } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { hub } from './helpers.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))

type Instance = { child: ChildProcess; output: () => string; started: Promise<{ facteur: string; service: string }>; exited: Promise<number | null> }

function runIngest(topicPrefix: string): Instance {
  const shared = hub()
  const child = spawn(process.execPath, [join(root, 'bin/facteur.mjs'), 'run', 'ingest'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, FACTEUR_KAFKA_BROKERS: shared.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: shared.registryUrl, DATABASE_URL: shared.databaseUrl,
      FACTEUR_TOPIC_PREFIX: topicPrefix, FACTEUR_HEALTH_PORT: '0', FACTEUR_LOG_LEVEL: 'info', FACTEUR_SHUTDOWN_TIMEOUT_MS: '10000' },
  })
  let output = ''
  child.stdout!.on('data', (d) => { output += d })
  child.stderr!.on('data', (d) => { output += d })
  return {
    child, output: () => output,
    started: new Promise((resolve) => child.on('message', (m: { facteur: string; service: string }) => resolve(m))),
    // The output is complete once stdout has ended too (the exit can come first); at most 2 s after the exit.
    exited: new Promise((resolve) => child.once('exit', (code) => {
      const done = () => resolve(code)
      if (child.stdout!.readableEnded) return done()
      child.stdout!.once('end', done)
      setTimeout(done, 2_000).unref()
    })),
  }
}

describe('facteur run <service>', () => {
  test('two ingest processes share the consumer group; each stops on SIGTERM or when its supervisor goes away', async () => {
    const topicPrefix = `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
    const instances = [runIngest(topicPrefix), runIngest(topicPrefix)]
    const admin = new Kafka({ clientId: 'run-command-test', brokers: [hub().kafkaBrokers], logLevel: logLevel.NOTHING }).admin()
    try {
      for (const i of instances) expect(await Promise.race([i.started, sleep(90_000).then(() => ({ timeout: i.output() }))])).toEqual({ facteur: 'started', service: 'ingest' })
      for (const i of instances) {
        // The log is written asynchronously (kit/log.ts): the line may reach the pipe after the IPC message.
        for (let n = 0; n < 100 && !/"health":"([^"]+)"/.test(i.output()); n++) await sleep(100)
        const readyz = /"health":"([^"]+)"/.exec(i.output())![1]!
        expect((await fetch(readyz)).status).toBe(200)
        // Each log line names the service and the process.
        expect(i.output()).toContain(`"service":"ingest","pid":${i.child.pid}`)
      }
      // Both are members of `<prefix>.ingest`, each with a share of the partitions (3 by default).
      await admin.connect()
      let members: { memberAssignment: Buffer }[] = []
      for (let n = 0; n < 120; n++) {
        const [group] = (await admin.describeGroups([`${topicPrefix}.ingest`])).groups
        members = group?.state === 'Stable' ? group.members : []
        if (members.length === 2) break
        await sleep(500)
      }
      expect(members).toHaveLength(2)

      const [first, second] = instances as [Instance, Instance]
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)
      expect(first.output()).toMatch(/"signal":"SIGTERM".*"msg":"stopping: finishing in-flight work"/)
      second.child.disconnect()
      expect(await second.exited).toBe(0)
      expect(second.output()).toMatch(/"signal":"supervisor gone".*"msg":"stopping: finishing in-flight work"/)
      expect(second.output()).toMatch(/"msg":"stopped"/)
    } finally {
      for (const i of instances) i.child.kill('SIGKILL')
      await admin.disconnect()
    }
  }, 180_000)
})
