// Delivery jobs, the pure part: which due jobs a runner takes (bounded overall and per endpoint), what one
// attempt's outcome does to a job, and the id of the event a job's final outcome produces.
import type { DeliveryOutcome } from './channels/channel.js'
import { backoffDelay } from './backoff.js'

export type JobState = 'pending' | 'delivered' | 'failed'

/** A due job as the runner sees it when choosing. */
export type Candidate = { id: string; endpoint: string }

/**
 * The candidates to lease now, in their order (oldest due first): at most `slots` in all, and for each
 * endpoint at most `perEndpoint` minus the attempts already in flight to it (on any runner). So a dead
 * recipient whose jobs are all due holds `perEndpoint` slots, never the whole runner.
 */
export function pickJobs(candidates: readonly Candidate[], inFlight: ReadonlyMap<string, number>, limits: { slots: number; perEndpoint: number }): Candidate[] {
  const taken = new Map<string, number>()
  const picked: Candidate[] = []
  for (const c of candidates) {
    if (picked.length >= limits.slots) break
    const busy = (inFlight.get(c.endpoint) ?? 0) + (taken.get(c.endpoint) ?? 0)
    if (busy >= limits.perEndpoint) continue
    taken.set(c.endpoint, (taken.get(c.endpoint) ?? 0) + 1)
    picked.push(c)
  }
  return picked
}

/** What an attempt does to its job: final (delivered or failed), or back to pending at a later time. */
export type Transition =
  | { state: 'delivered'; attempts: number; detail: string }
  | { state: 'failed'; attempts: number; detail: string }
  | { state: 'pending'; attempts: number; detail: string; nextAttemptAt: number }

/**
 * After attempt number `attempt` (1-based, within the job's generation) ended with `outcome`: delivered,
 * failed at once (the endpoint will never take it as configured), failed after the last allowed attempt,
 * or retried after an exponential back-off with jitter.
 */
export function afterAttempt(attempt: number, outcome: DeliveryOutcome, options: { maxAttempts: number; backoffMs: number; now: number; random?: () => number }): Transition {
  if (outcome.outcome === 'delivered') return { state: 'delivered', attempts: attempt, detail: outcome.detail }
  if (outcome.outcome === 'failed') return { state: 'failed', attempts: attempt, detail: outcome.detail }
  if (attempt >= options.maxAttempts) return { state: 'failed', attempts: attempt, detail: `gave up after ${attempt} attempts; last: ${outcome.detail}` }
  return { state: 'pending', attempts: attempt, detail: outcome.detail, nextAttemptAt: options.now + backoffDelay(attempt, options.backoffMs, options.random) }
}

/**
 * The `delivery` event id of a job's outcome. The first generation keeps the historical id; each operator
 * retry gets its own, or the status service's inbox would skip the new outcome as already processed.
 */
export const deliveryEventId = (documentId: string, generation: number) =>
  generation <= 1 ? `${documentId}:delivery` : `${documentId}:delivery:${generation}`
