// Root pino logger (JSON lines, on stdout unless a file is given). Context goes in fields, never in message
// prefixes: child({ service }) per service, child({ documentId }) per event, so one invoice can be followed
// with grep.
import { pino, destination, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string, base: Record<string, unknown> = {}, file?: string): Logger {
  const options = { level, base: { ...base }, timestamp: pino.stdTimeFunctions.isoTime }
  return file ? pino(options, destination({ dest: file, mkdir: true, sync: false })) : pino(options)
}
