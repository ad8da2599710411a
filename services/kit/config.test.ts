import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { loadConfig, settings } from './config.js'

describe('configuration', () => {
  test('every setting has a default, so `npm start` needs no environment', () => {
    const config = loadConfig({})
    expect(config.httpPort).toBe(8080)
    expect(config.httpHost).toBe('127.0.0.1')
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092'])
    expect(config.demoApiKey).toBeNull()
    expect(Object.isFrozen(config)).toBe(true)
  })

  test('reads values from the environment it is given', () => {
    const config = loadConfig({ FACTEUR_HTTP_PORT: '0', FACTEUR_KAFKA_BROKERS: 'a:1, b:2', FACTEUR_DEMO_API_KEY: 'k' })
    expect(config.httpPort).toBe(0)
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2'])
    expect(config.demoApiKey).toBe('k')
  })

  test.each([
    ['FACTEUR_HTTP_PORT', 'eighty', /FACTEUR_HTTP_PORT="eighty": expected an integer between 0 and 65535/],
    ['FACTEUR_KAFKA_BROKERS', 'localhost', /FACTEUR_KAFKA_BROKERS="localhost": expected host:port/],
    ['DATABASE_URL', 'mysql://x/y', /DATABASE_URL="mysql:\/\/x\/y": expected a postgres: or postgresql: URL/],
    ['FACTEUR_LOG_LEVEL', 'loud', /expected one of fatal, error, warn, info, debug, trace, silent/],
    ['FACTEUR_TOPIC_PREFIX', 'a b', /letters, digits/],
  ])('an invalid %s names the variable and what it expects', (env, value, message) => {
    expect(() => loadConfig({ [env]: value })).toThrow(message)
  })

  test.each([
    ['DATABASE_URL', 'mysql://facteur:s3cret-pw@db/facteur'],
    ['DATABASE_URL', 'postgres://facteur:s3cret-pw@db:notaport/facteur'],
    ['FACTEUR_SCHEMA_REGISTRY_URL', 'ftp://registry:s3cret-pw@host/'],
  ])('an invalid %s never shows its password, nor chains an error that would', (env, value) => {
    let error: (Error & { cause?: unknown }) | undefined
    try { loadConfig({ [env]: value }) } catch (e) { error = e as Error }
    expect(error?.message).toMatch(new RegExp(`^${env}=`))
    expect(error?.message).toContain('***@')
    expect(JSON.stringify({ message: error?.message, stack: error?.stack, cause: String(error?.cause) })).not.toContain('s3cret-pw')
  })

  test('endpoint policy settings: allowed hosts are a lower-case list, the drop root an absolute folder', () => {
    const config = loadConfig({ FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1, LocalHost,', FACTEUR_DROP_ROOT: '/srv/inbox/' })
    expect(config.deliveryAllowedHosts).toEqual(['127.0.0.1', 'localhost'])
    expect(config.dropRoot).toBe('/srv/inbox')
    expect(() => loadConfig({ FACTEUR_DROP_ROOT: 'inbox' })).toThrow(/FACTEUR_DROP_ROOT="inbox": expected an absolute folder path/)
  })

  test('the README settings table lists exactly the settings of config.ts', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const documented = [...readme.matchAll(/^\| `((?:FACTEUR_[A-Z0-9_]+)|DATABASE_URL)` \|/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(Object.values(settings).map((s) => s.env).sort())
  })
})
