// The computed sRGB profile against ICC.1:2001-04 and IEC 61966-2-1: a well-formed version 2 display profile
// (header, tag table, the nine tags of a matrix/TRC RGB profile, 4-byte aligned), colorants that add up to the D50
// illuminant and match sRGB's published D50 values, and the sRGB tone curve.
import { describe, expect, test } from 'vitest'
import { srgbColorants, srgbIccProfile, srgbToLinear } from './icc-srgb.js'

const icc = srgbIccProfile()
const tags = new Map(Array.from({ length: icc.readUInt32BE(128) }, (_, i) => {
  const at = 132 + 12 * i
  return [icc.toString('latin1', at, at + 4), { offset: icc.readUInt32BE(at + 4), size: icc.readUInt32BE(at + 8) }] as const
}))
const fixed = (at: number) => icc.readInt32BE(at) / 65536
const xyz = (tag: string) => { const { offset } = tags.get(tag)!; return [fixed(offset + 8), fixed(offset + 12), fixed(offset + 16)] }

describe('srgbIccProfile', () => {
  test('has the header of a version 2.1 RGB display profile with an XYZ connection space and the D50 illuminant', () => {
    expect(icc.readUInt32BE(0)).toBe(icc.length)
    expect(icc.readUInt32BE(8)).toBe(0x02100000)
    expect(icc.toString('latin1', 12, 24)).toBe('mntrRGB XYZ ')
    expect(icc.toString('latin1', 36, 40)).toBe('acsp')
    expect([fixed(68), fixed(72), fixed(76)].map((v) => v.toFixed(4))).toEqual(['0.9642', '1.0000', '0.8249'])
  })

  test('has the nine required tags, each inside the file, 4-byte aligned and of its type; the three curves shared', () => {
    expect([...tags.keys()]).toEqual(['desc', 'cprt', 'wtpt', 'rXYZ', 'gXYZ', 'bXYZ', 'rTRC', 'gTRC', 'bTRC'])
    const types: Record<string, string> = { desc: 'desc', cprt: 'text', wtpt: 'XYZ ', rXYZ: 'XYZ ', gXYZ: 'XYZ ', bXYZ: 'XYZ ', rTRC: 'curv', gTRC: 'curv', bTRC: 'curv' }
    for (const [signature, { offset, size }] of tags) {
      expect(offset % 4, signature).toBe(0)
      expect(offset + size, signature).toBeLessThanOrEqual(icc.length)
      expect(icc.toString('latin1', offset, offset + 4), signature).toBe(types[signature])
    }
    expect(new Set(['rTRC', 'gTRC', 'bTRC'].map((t) => tags.get(t)!.offset)).size).toBe(1)
    const desc = tags.get('desc')!
    expect(icc.toString('latin1', desc.offset + 12, desc.offset + 12 + icc.readUInt32BE(desc.offset + 8) - 1)).toBe('sRGB IEC61966-2.1')
  })

  test('has colorants that add up to the D50 white and are sRGB’s Bradford-adapted primaries', () => {
    const [r, g, b] = [xyz('rXYZ'), xyz('gXYZ'), xyz('bXYZ')]
    const sum = [0, 1, 2].map((i) => r[i]! + g[i]! + b[i]!)
    sum.forEach((v, i) => expect(v).toBeCloseTo([0.9642, 1, 0.8249][i]!, 4))
    // The colorants commonly published for sRGB in D50 (Little CMS's built-in sRGB profile, for one), within 5e-4:
    // the derivations differ in rounding and in the D50 they aim at (Z 0.8249 or 0.8252).
    const published = [[0.4360747, 0.2225045, 0.0139322], [0.3850649, 0.7168786, 0.0971045], [0.1430804, 0.0606169, 0.7141733]]
    srgbColorants().forEach((c, i) => c.forEach((v, j) => expect(Math.abs(v - published[i]![j]!)).toBeLessThan(5e-4)))
    expect(xyz('wtpt').map((v) => v.toFixed(4))).toEqual(['0.9642', '1.0000', '0.8249'])
  })

  test('has sRGB’s tone curve: linear at the foot, a 2.4 power above 0.04045, 0 and 1 at the ends', () => {
    const { offset } = tags.get('rTRC')!
    const count = icc.readUInt32BE(offset + 8)
    const at = (i: number) => icc.readUInt16BE(offset + 12 + 2 * i) / 65535
    expect(count).toBe(1024)
    expect(at(0)).toBe(0)
    expect(at(count - 1)).toBe(1)
    expect(at(511)).toBeCloseTo(srgbToLinear(511 / 1023), 4)
    expect(srgbToLinear(0.5)).toBeCloseTo(0.214, 3)
    expect(srgbToLinear(0.04)).toBeCloseTo(0.04 / 12.92, 6)
  })

  test('is the same bytes on every call', () => {
    expect(srgbIccProfile().equals(icc)).toBe(true)
  })
})
