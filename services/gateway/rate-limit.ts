// Per-key rate limit (token bucket) and the cap on concurrent large uploads. Both live in the gateway
// process: with N gateway instances behind a balancer a key may make up to N times the configured rate, and
// N times the upload cap runs at once. That is the documented trade-off (no shared store on the request path);
// a balancer with sticky routing by key, or a shared limiter in front, tightens it when it matters.

export type Bucket = { tokens: number; at: number }
export type BucketLimits = { ratePerSecond: number; burst: number }
export type Take = { ok: true; bucket: Bucket } | { ok: false; bucket: Bucket; retryAfterMs: number }

/**
 * One request against `bucket` at `now` (ms): the bucket refills at `ratePerSecond` up to `burst` tokens; a
 * request takes one. Refused: how long until one token is there. A fresh bucket (undefined) is full.
 */
export function takeToken(bucket: Bucket | undefined, now: number, limits: BucketLimits): Take {
  const elapsed = bucket ? Math.max(0, now - bucket.at) : 0
  const tokens = bucket ? Math.min(limits.burst, bucket.tokens + (elapsed * limits.ratePerSecond) / 1000) : limits.burst
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now } }
  return { ok: false, bucket: { tokens, at: now }, retryAfterMs: Math.ceil(((1 - tokens) * 1000) / limits.ratePerSecond) }
}

/** `Retry-After` in whole seconds (RFC 9110 §10.2.3), never 0: a client told "0" would retry at once. */
export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/**
 * The buckets of every key seen, in memory. Full buckets of idle keys are forgotten (a full bucket is what a
 * new key gets anyway), so memory stays bounded by the keys active within the last `burst / rate` seconds.
 */
export function createRateLimiter(limits: BucketLimits, clock: () => number = Date.now) {
  const buckets = new Map<string, Bucket>()
  const refillMs = (limits.burst * 1000) / limits.ratePerSecond
  let lastSweep = clock()
  return {
    take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
      const now = clock()
      if (now - lastSweep > Math.max(refillMs, 60_000)) {
        for (const [k, b] of buckets) if (now - b.at >= refillMs) buckets.delete(k)
        lastSweep = now
      }
      const out = takeToken(buckets.get(key), now, limits)
      buckets.set(key, out.bucket)
      return out.ok ? { ok: true } : { ok: false, retryAfterMs: out.retryAfterMs }
    },
    size: () => buckets.size,
  }
}

/** A counting semaphore that never waits: an upload over the cap is refused, not queued (its body unread). */
export function createSlots(max: number) {
  let used = 0
  return {
    tryAcquire(): (() => void) | null {
      if (used >= max) return null
      used++
      let released = false
      return () => { if (!released) { released = true; used-- } }
    },
    inUse: () => used,
  }
}
