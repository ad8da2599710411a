// Root pino logger (JSON lines, on stdout unless a file is given). Context goes in fields, never in message
// prefixes: child({ service }) per service, child({ documentId }) per event, so one invoice can be followed
// with grep.
import { pino, destination, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string, base: Record<string, unknown> = {}, file?: string): Logger {
  // Credentials never reach a log line, whatever object a caller logs: API keys (Authorization), cookies and
  // the request/response headers that carry them (a logged `req`, an HTTP client error with its request).
  const redact = {
    paths: ['authorization', 'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie',
      '*.*.headers.authorization', '*.*.headers.cookie', 'apiKey', '*.apiKey', 'password', '*.password'],
    censor: '[redacted]',
  }
  const options = { level, base: { ...base }, timestamp: pino.stdTimeFunctions.isoTime, redact }
  // Asynchronous writes: a synchronous write per line cost a tenth of the hub's main thread under load (8 lines
  // per document, bench/e2e.ts). What is buffered is flushed at exit, also at process.exit(); a kill -9 may
  // lose the lines of the last moments, never a document.
  return pino(options, file ? destination({ dest: file, mkdir: true, sync: false }) : destination({ dest: 1, sync: false }))
}
