// An sRGB ICC profile, computed here rather than copied from somewhere: PDF/A (ISO 19005-3 §6.2.4.3) allows
// DeviceRGB, which the rendered invoice uses, only under an output intent that carries an RGB ICC profile.
//
// It is an ICC.1:2001-04 (version 2.1) display profile of the matrix/TRC kind (ICC.1 §6.3.1.2): the nine
// required tags, nothing else. The colorants are the sRGB primaries of IEC 61966-2-1 (ITU-R BT.709 chromaticities,
// D65 white) adapted to the ICC's D50 connection space with the Bradford transform (ICC.1 Annex E), so they add up
// to D50 exactly; the tone curve is sRGB's (linear below 0.04045, then a 2.4 power), sampled at 1024 points and
// shared by the three channels. About 2.6 KB.

const D50 = [0.9642, 1.0, 0.8249] as const
const D65_XY = [0.3127, 0.329] as const
const PRIMARIES_XY = [[0.64, 0.33], [0.3, 0.6], [0.15, 0.06]] as const
const CURVE_POINTS = 1024

type Vec = [number, number, number]
type Mat = [Vec, Vec, Vec]

const mul = (m: Mat, v: Vec): Vec => [0, 1, 2].map((i) => m[i]![0] * v[0] + m[i]![1] * v[1] + m[i]![2] * v[2]) as Vec
const mmul = (a: Mat, b: Mat): Mat => [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[i]![0] * b[0]![j]! + a[i]![1] * b[1]![j]! + a[i]![2] * b[2]![j]!)) as Mat
const xyToXYZ = ([x, y]: readonly [number, number]): Vec => [x / y, 1, (1 - x - y) / y]

function invert(m: Mat): Mat {
  const [[a, b, c], [d, e, f], [g, h, i]] = m
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ]
}

/** The D50 XYZ of the red, green and blue colorants (the columns of sRGB's RGB → XYZ matrix, adapted to D50). */
export function srgbColorants(): [Vec, Vec, Vec] {
  // RGB → XYZ under D65: the primaries' XYZ scaled so that RGB (1, 1, 1) is the white point (SMPTE RP 177).
  const primaries = PRIMARIES_XY.map(xyToXYZ)
  const p: Mat = [0, 1, 2].map((row) => primaries.map((xyz) => xyz[row]!)) as Mat
  const white = xyToXYZ(D65_XY)
  const scale = mul(invert(p), white)
  const toXYZ: Mat = p.map((r) => r.map((v, j) => v * scale[j]!)) as Mat
  // Bradford chromatic adaptation D65 → D50: into cone space, scale by the whites' ratio, back.
  const bradford: Mat = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
  const [ws, wd] = [mul(bradford, white), mul(bradford, [...D50])]
  const gain: Mat = [[wd[0] / ws[0], 0, 0], [0, wd[1] / ws[1], 0], [0, 0, wd[2] / ws[2]]]
  const adapted = mmul(mmul(mmul(invert(bradford), gain), bradford), toXYZ)
  return [0, 1, 2].map((j) => [adapted[0][j]!, adapted[1][j]!, adapted[2][j]!]) as [Vec, Vec, Vec]
}

/** sRGB's decoding function (IEC 61966-2-1 §5.2): a non-linear value in [0, 1] to linear light. */
export const srgbToLinear = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)

// ---- the ICC binary (big-endian, ICC.1 §6) ----

const s15Fixed16 = (v: number) => Math.round(v * 65536)
const ascii = (s: string) => Buffer.from(s, 'latin1')

function xyzTag([x, y, z]: readonly number[]): Buffer {
  const b = Buffer.alloc(20)
  b.write('XYZ ', 0, 'latin1')
  ;[x!, y!, z!].forEach((v, i) => b.writeInt32BE(s15Fixed16(v), 8 + 4 * i))
  return b
}

function curveTag(): Buffer {
  const b = Buffer.alloc(12 + 2 * CURVE_POINTS)
  b.write('curv', 0, 'latin1')
  b.writeUInt32BE(CURVE_POINTS, 8)
  for (let i = 0; i < CURVE_POINTS; i++) b.writeUInt16BE(Math.round(srgbToLinear(i / (CURVE_POINTS - 1)) * 65535), 12 + 2 * i)
  return b
}

function textTag(text: string): Buffer {
  return Buffer.concat([ascii('text'), Buffer.alloc(4), ascii(text), Buffer.alloc(1)])
}

/** textDescriptionType (ICC.1:2001 §6.5.17): ASCII, then empty Unicode and ScriptCode parts (67 bytes). */
function descTag(text: string): Buffer {
  const count = Buffer.alloc(4)
  count.writeUInt32BE(text.length + 1)
  return Buffer.concat([ascii('desc'), Buffer.alloc(4), count, ascii(text), Buffer.alloc(1), Buffer.alloc(4 + 4 + 2 + 1 + 67)])
}

export const srgbDescription = 'sRGB IEC61966-2.1'

/** The profile's bytes (the same every call). */
export function srgbIccProfile(): Buffer {
  const [red, green, blue] = srgbColorants()
  const curve = curveTag()
  // Tags in signature order; the three TRC tags point at one curve (ICC.1 §6.2: tags may share data).
  const data: [string, Buffer][] = [
    ['desc', descTag(srgbDescription)],
    ['cprt', textTag('No copyright: computed by Facteur from IEC 61966-2-1')],
    ['wtpt', xyzTag(D50)],
    ['rXYZ', xyzTag(red)], ['gXYZ', xyzTag(green)], ['bXYZ', xyzTag(blue)],
    ['rTRC', curve], ['gTRC', curve], ['bTRC', curve],
  ]
  const table = Buffer.alloc(4 + 12 * data.length)
  table.writeUInt32BE(data.length)
  const blocks: Buffer[] = []
  const offsets = new Map<Buffer, number>()
  let offset = 128 + table.length
  data.forEach(([signature, bytes], i) => {
    let at = offsets.get(bytes)
    if (at === undefined) {
      at = offset
      offsets.set(bytes, at)
      const padded = Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]) // every tag 4-byte aligned
      blocks.push(padded)
      offset += padded.length
    }
    table.write(signature, 4 + 12 * i, 'latin1')
    table.writeUInt32BE(at, 8 + 12 * i)
    table.writeUInt32BE(bytes.length, 12 + 12 * i)
  })
  const header = Buffer.alloc(128)
  header.writeUInt32BE(offset, 0)                 // profile size
  header.writeUInt32BE(0x02100000, 8)             // version 2.1.0
  header.write('mntr', 12, 'latin1')              // display device
  header.write('RGB ', 16, 'latin1')              // data colour space
  header.write('XYZ ', 20, 'latin1')              // profile connection space
  ;[2026, 1, 1, 0, 0, 0].forEach((v, i) => header.writeUInt16BE(v, 24 + 2 * i)) // a fixed date: the same bytes every time
  header.write('acsp', 36, 'latin1')              // the profile file signature
  D50.forEach((v, i) => header.writeInt32BE(s15Fixed16(v), 68 + 4 * i)) // PCS illuminant
  return Buffer.concat([header, table, ...blocks])
}
