// The loop behind the outbox relay and the delivery job runner: do a round of work, then wait for a NOTIFY on
// `channel` or `pollMs`, whichever comes first; straight on when the round says more is waiting. A failing round
// (PostgreSQL or Kafka away) backs off up to 5 s and is logged on the first failure and every 20th, so an
// outage does not flood the log. LISTEN is only a wake-up: polling alone is correct, just slower.
import type { Db, Tx } from './db.js'
import type { Logger } from './log.js'

export type PollLoop = {
  /** Ends the loop after the round under way; resolves once it has. */
  stop(): Promise<void>
  /** Starts the next round now (new work known to this process). */
  wake(): void
  lastError(): string | null
}

export function startPollLoop(options: {
  db: Db; channel: string; pollMs: number; log: Logger
  /** one round; resolves true when more work is already waiting */
  round: () => Promise<boolean>
  /** what an outage means for users, e.g. "outbox relay cannot publish; documents stay queued" */
  failing: string
}): PollLoop {
  const { db, channel, pollMs, log } = options
  let stopped = false
  let wake: (() => void) | null = null
  let listener: Tx | null = null
  let lastError: string | null = null
  let failures = 0

  const listen = async () => {
    try {
      listener = await db.connect()
      listener.on('notification', () => wake?.())
      listener.on('error', () => { listener = null })
      await listener.query(`LISTEN ${channel}`)
    } catch { listener?.release(); listener = null }
  }

  const loop = (async () => {
    await listen()
    while (!stopped) {
      let more = false
      try {
        more = await options.round()
        if (failures > 0) log.info({ after: failures }, 'recovered')
        failures = 0
        lastError = null
      } catch (error) {
        failures++
        lastError = String((error as Error).message)
        if (failures === 1 || failures % 20 === 0) log.warn({ err: error, failures }, options.failing)
      }
      if (more && !stopped) continue
      if (!listener && !stopped) await listen()
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, failures > 0 ? Math.min(pollMs * 2 ** failures, 5_000) : pollMs)
        wake = () => { clearTimeout(timer); resolve() }
        if (stopped) wake()
      })
      wake = null
    }
  })()

  return {
    async stop() {
      stopped = true
      wake?.()
      await loop
      if (listener) { await listener.query(`UNLISTEN ${channel}`).catch(() => {}); listener.release() }
    },
    wake: () => wake?.(),
    lastError: () => lastError,
  }
}
