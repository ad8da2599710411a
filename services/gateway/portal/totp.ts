// The portal's second factor: TOTP (RFC 6238) with what every authenticator app supports, SHA-1, 6 digits and
// 30-second steps, through otplib 13 (its default plugins: @noble/hashes HMAC, @scure/base base32).
// A code is accepted in its own step and one step either side (clock drift, time to type it), and once only:
// the caller stores the step of the last code accepted and passes it back (RFC 6238 §5.2).
import { generateSecret, generateURI, verifySync } from 'otplib'

const PERIOD = 30

/** A new shared secret: 160 random bits (RFC 4226 §4 recommends 160), base32 without padding (32 characters). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

/**
 * The `otpauth://totp/Issuer:account?secret=…&issuer=Issuer` URI that authenticator apps enrol from (Key Uri
 * Format). Issuer and account are percent-encoded; neither may contain a colon, which the apps read as the
 * separator between the two (otplib keeps colons as they are).
 */
export function totpUri({ secret, account, issuer }: { secret: string; account: string; issuer: string }): string {
  if (issuer.includes(':') || account.includes(':')) throw new RangeError(`a TOTP issuer or account name cannot contain ':' (${issuer}, ${account})`)
  return generateURI({ strategy: 'totp', issuer, label: account, secret, algorithm: 'sha1', digits: 6, period: PERIOD })
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' }

/**
 * Checks `code` (spaces ignored; full-width digits read as digits) against `secret` at `now` (milliseconds,
 * default Date.now()). `lastStep` is the step of the last code accepted for this secret, null if none: a code of
 * that step or an earlier one is refused as replayed. On success, store `step` as the new lastStep.
 */
export function verifyTotp(secret: string, code: string, options: { lastStep: number | null; now?: number }): TotpCheck {
  const token = code.normalize('NFKC').replace(/\s+/g, '')
  if (!/^[0-9]{6}$/.test(token)) return { ok: false, reason: 'malformed' }
  const epoch = Math.floor((options.now ?? Date.now()) / 1000)
  const base = { secret, token, epoch, period: PERIOD, algorithm: 'sha1', digits: 6, epochTolerance: PERIOD } as const
  const latest = Math.floor(epoch / PERIOD) + 1
  const { lastStep } = options
  // otplib skips the steps up to afterTimeStep, and throws when afterTimeStep is past the window (a stored step from
  // a clock that ran ahead): then no step is left to accept.
  if (lastStep === null || lastStep < latest) {
    const after = lastStep === null || lastStep < 0 ? undefined : Math.floor(lastStep)
    const result = verifySync({ ...base, afterTimeStep: after })
    // delta, not timeStep: otplib's functional verify is typed for TOTP and HOTP alike, and only TOTP has timeStep.
    if (result.valid) return { ok: true, step: latest - 1 + result.delta }
  }
  if (lastStep === null) return { ok: false, reason: 'wrong' }
  // Checked again without the floor only to tell a replay (worth an alert) from a mistyped code.
  return verifySync(base).valid ? { ok: false, reason: 'replayed' } : { ok: false, reason: 'wrong' }
}
