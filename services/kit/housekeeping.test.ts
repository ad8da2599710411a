import { describe, expect, it } from 'vitest'
import { purgeInBatches, retentionCutoff } from './housekeeping.js'

describe('retentionCutoff', () => {
  it('is the given number of days before now', () => {
    expect(retentionCutoff(new Date('2026-03-31T12:00:00Z'), 30).toISOString()).toBe('2026-03-01T12:00:00.000Z')
  })
})

describe('purgeInBatches', () => {
  /** A table of `rows` old rows, deleted `limit` at a time; records the limits asked. */
  const table = (rows: number) => {
    const asked: number[] = []
    return { asked, deleteBatch: async (limit: number) => { asked.push(limit); const n = Math.min(limit, rows); rows -= n; return n } }
  }

  it('deletes batch after batch until a batch comes back short', async () => {
    const t = table(2_500)
    expect(await purgeInBatches(t.deleteBatch, { batch: 1_000, maxBatches: 100 })).toEqual({ deleted: 2_500, batches: 3, finished: true })
    expect(t.asked).toEqual([1_000, 1_000, 1_000])
  })

  it('asks once more after an exactly full last batch, to see that nothing is left', async () => {
    const t = table(2_000)
    expect(await purgeInBatches(t.deleteBatch, { batch: 1_000, maxBatches: 100 })).toEqual({ deleted: 2_000, batches: 3, finished: true })
  })

  it('stops at maxBatches and says rows may remain', async () => {
    const t = table(10_000)
    expect(await purgeInBatches(t.deleteBatch, { batch: 1_000, maxBatches: 2 })).toEqual({ deleted: 2_000, batches: 2, finished: false })
  })

  it('stops between batches once the process is stopping', async () => {
    const t = table(10_000)
    let stopping = false
    const outcome = await purgeInBatches(t.deleteBatch, { batch: 1_000, maxBatches: 100, stopping: () => stopping, pause: async () => { stopping = true } })
    expect(outcome).toEqual({ deleted: 1_000, batches: 1, finished: false })
  })

  it('does nothing on an empty table but one look', async () => {
    const t = table(0)
    expect(await purgeInBatches(t.deleteBatch, { batch: 500, maxBatches: 100 })).toEqual({ deleted: 0, batches: 1, finished: true })
  })
})
