// RFC 9457 problem details. Every HTTP error the hub sends goes through here, so clients can rely on
// `type` (stable per error code) and read `detail` for what exactly was wrong.
import { errorCodes, problemType, type ErrorCode } from './errors.js'

export type Problem = { type: string; title: string; status: number; detail: string; instance?: string; [extension: string]: unknown }

export function problem(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const entry = errorCodes[code]
  return { type: problemType(code), title: entry.title, status: entry.status ?? 500, detail, ...extensions }
}

export const problemContentType = 'application/problem+json'
