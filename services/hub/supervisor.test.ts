import { describe, expect, test } from 'vitest'
import { parseHubArgs } from './args.js'
import { planProcesses, restartDelayMs, validationWorkers } from './supervisor.js'
import { main as runMain } from './run-cli.js'

describe('npm start options', () => {
  test.each([
    [[], { processes: false, replicas: 1 }],
    [['--processes'], { processes: true, replicas: 1 }],
    [['--processes', '--replicas', '3'], { processes: true, replicas: 3 }],
    [['--replicas=2'], { processes: true, replicas: 2 }], // --replicas implies --processes
  ])('%j', (argv, expected) => {
    expect(parseHubArgs(argv)).toEqual(expected)
  })

  test.each([
    [['--replicas', '0'], /--replicas takes a whole number from 1 to 64, not 0/],
    [['--replicas', '1.5'], /not 1.5/],
    [['--replicas', 'two'], /not two/],
    [['--replicas'], /argument missing/],
    [['--proceses'], /Unknown option '--proceses'/],
    [['ingest'], /Unexpected argument 'ingest'/],
  ])('%j is refused with the reason', (argv, reason) => {
    const parsed = parseHubArgs(argv)
    expect('error' in parsed && parsed.error).toMatch(reason)
  })

  test('--help', () => expect(parseHubArgs(['-h'])).toEqual({ help: true }))
})

describe('the processes of --processes and --replicas', () => {
  test('N of each consumer service in path order, then one gateway', () => {
    const plan = planProcesses({ replicas: 2, cores: 2, env: {} })
    expect(plan.map((p) => `${p.service}#${p.instance}`)).toEqual([
      'ingest#1', 'ingest#2', 'validation#1', 'validation#2', 'routing#1', 'routing#2',
      'forwarder#1', 'forwarder#2', 'status#1', 'status#2', 'gateway#1',
    ])
    expect(plan.filter((p) => p.service !== 'validation').every((p) => Object.keys(p.env).length === 0)).toBe(true)
  })

  test.each([
    // cores, replicas, user setting → worker threads per validation process
    [2, 1, undefined, '2'],
    [2, 2, undefined, '1'],
    [8, 3, undefined, '2'],
    [2, 4, undefined, '1'], // never fewer than one
    [2, 4, '3', '3'], // the user's setting wins
    [2, 4, ' ', '1'], // a blank setting is no setting
  ])('%i cores, %i replicas, FACTEUR_VALIDATION_WORKERS=%s: %s worker(s) each', (cores, replicas, set, expected) => {
    const env = set === undefined ? {} : { FACTEUR_VALIDATION_WORKERS: set }
    expect(validationWorkers(env, cores, replicas)).toBe(expected)
    const validation = planProcesses({ replicas, cores, env }).filter((p) => p.service === 'validation')
    expect(validation.map((p) => p.env.FACTEUR_VALIDATION_WORKERS)).toEqual(Array(replicas).fill(expected))
  })

  test('a fixed health port becomes one port per consumer process; 0 (a free port each) is passed on as it is', () => {
    const plan = planProcesses({ replicas: 2, cores: 2, env: { FACTEUR_HEALTH_PORT: '9100' } })
    expect(plan.map((p) => p.env.FACTEUR_HEALTH_PORT)).toEqual(['9100', '9101', '9102', '9103', '9104', '9105', '9106', '9107', '9108', '9109', undefined])
    expect(planProcesses({ replicas: 2, cores: 2, env: { FACTEUR_HEALTH_PORT: '0' } }).some((p) => 'FACTEUR_HEALTH_PORT' in p.env)).toBe(false)
  })

  test('a child that keeps dying is started again after 1 s, 2 s, 4 s … at most 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000])
  })
})

describe('facteur run', () => {
  test('an unknown or missing service is a usage error', async () => {
    const write = process.stderr.write
    process.stderr.write = (() => true) as typeof process.stderr.write
    try {
      expect(await runMain(['hub'])).toBe(2)
      expect(await runMain([])).toBe(2)
      expect(await runMain(['ingest', 'extra'])).toBe(2)
    } finally {
      process.stderr.write = write
    }
  })
})
