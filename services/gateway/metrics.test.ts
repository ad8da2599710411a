import { describe, expect, it } from 'vitest'
import { backlogProblem, renderPrometheus } from './metrics.js'

describe('renderPrometheus', () => {
  it('writes HELP and TYPE once per family, then one line per sample', () => {
    const text = renderPrometheus([
      { name: 'facteur_outbox_pending', type: 'gauge', help: 'Rows pending.', samples: [{ value: 3 }] },
      { name: 'facteur_documents', type: 'gauge', help: 'By status.', samples: [{ labels: { status: 'DEPOSEE' }, value: 2 }, { labels: { status: 'REJETEE' }, value: 0 }] },
    ])
    expect(text).toBe([
      '# HELP facteur_outbox_pending Rows pending.', '# TYPE facteur_outbox_pending gauge', 'facteur_outbox_pending 3',
      '# HELP facteur_documents By status.', '# TYPE facteur_documents gauge',
      'facteur_documents{status="DEPOSEE"} 2', 'facteur_documents{status="REJETEE"} 0', '',
    ].join('\n'))
  })

  it('escapes label values and help text as format 0.0.4 says', () => {
    const text = renderPrometheus([{ name: 'x', type: 'counter', help: 'a\\b\nc', samples: [{ labels: { l: 'q"\\\n' }, value: 1.5 }] }])
    expect(text).toContain('# HELP x a\\\\b\\nc\n')
    expect(text).toContain('x{l="q\\"\\\\\\n"} 1.5\n')
  })

  it('writes non-finite values in the format\'s spelling', () => {
    expect(renderPrometheus([{ name: 'x', type: 'gauge', help: 'h', samples: [{ value: NaN }, { value: Infinity }, { value: -Infinity }] }]))
      .toContain('x NaN\nx +Inf\nx -Inf\n')
  })

  it('refuses a name Prometheus would not parse', () => {
    expect(() => renderPrometheus([{ name: 'facteur-outbox', type: 'gauge', help: 'h', samples: [] }])).toThrow(/invalid metric name/)
  })
})

describe('backlogProblem', () => {
  it('is ready up to the limit and names age, limit and count above it', () => {
    expect(backlogProblem({ pending: 4, oldestPendingSeconds: 60, setAside: 0 }, 60_000)).toBeNull()
    expect(backlogProblem({ pending: 0, oldestPendingSeconds: 0, setAside: 0 }, 1_000)).toBeNull()
    expect(backlogProblem({ pending: 12, oldestPendingSeconds: 61.4, setAside: 0 }, 60_000))
      .toBe('the oldest unpublished outbox row is 61 s old (limit 60 s); 12 row(s) pending')
  })
})
