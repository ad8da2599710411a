// Delay before delivery attempt n+1: exponential from `baseMs`, capped at 30 s, with "equal jitter" so that
// many documents failing together do not retry in lockstep. `random` is a parameter so tests are exact.
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 30_000)
  return Math.round(exp / 2 + (exp / 2) * random())
}
