// Reads the emitted line, as pino's own tests do: credentials never reach the log.
import { expect, test } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from './log.js'

test('Authorization headers, cookies, API keys and passwords are redacted wherever they are logged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facteur-log-'))
  const file = join(dir, 'out.log')
  const log = createLogger('info', {}, file)
  log.info({ req: { method: 'GET', headers: { authorization: 'Bearer fct_secret-key-1', cookie: 'sid=secret-cookie' } } }, 'request')
  log.info({ headers: { authorization: 'Bearer fct_secret-key-2' }, apiKey: 'fct_secret-key-3' }, 'flat')
  log.error({ err: { request: { headers: { authorization: 'Bearer fct_secret-key-4' } } }, password: 'secret-pw' }, 'nested')
  await new Promise<void>((resolve) => log.flush(() => resolve()))
  await new Promise((r) => setTimeout(r, 50))
  const text = await readFile(file, 'utf8')
  await rm(dir, { recursive: true, force: true })
  expect(text.trim().split('\n')).toHaveLength(3)
  expect(text).not.toMatch(/secret/)
  expect(text).toContain('"authorization":"[redacted]"')
  expect(JSON.parse(text.split('\n')[0]!).req.method).toBe('GET')
})
