// The fonts of the rendered invoice: DejaVu Sans Condensed, regular and bold, from the npm package
// dejavu-fonts-ttf (Bitstream Vera licence with DejaVu's public-domain changes: free to embed and redistribute).
// Every font is embedded, as a subset, because PDF/A (ISO 19005-3 §6.2.11.4.1) forbids relying on the reader's
// fonts, the standard 14 included. Condensed, because invoice tables are narrow; DejaVu, because it covers Latin,
// Greek and Cyrillic, so names from any EU member state print as written.
//
// A character the font lacks is drawn as "?" rather than with the .notdef glyph, which PDF/A also forbids
// (§6.2.11.8); control characters become spaces.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fontkit from '@cantoo/fontkit'
import type { PDFDocument, PDFFont } from '@cantoo/pdf-lib'

export type Fonts = { regular: PDFFont; bold: PDFFont }

const require = createRequire(import.meta.url)
const files = { regular: 'dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf', bold: 'dejavu-fonts-ttf/ttf/DejaVuSansCondensed-Bold.ttf' }
let bytes: { regular: Buffer; bold: Buffer } | undefined

/** Both fonts, embedded in `doc` as subsets (only the glyphs drawn end up in the file). */
export async function embedFonts(doc: PDFDocument): Promise<Fonts> {
  bytes ??= { regular: readFileSync(require.resolve(files.regular)), bold: readFileSync(require.resolve(files.bold)) }
  doc.registerFontkit(fontkit)
  const [regular, bold] = await Promise.all([doc.embedFont(bytes.regular, { subset: true }), doc.embedFont(bytes.bold, { subset: true })])
  return { regular, bold }
}

const covered = new WeakMap<PDFFont, Set<number>>()

/** `text` with what `font` cannot draw replaced: control characters by a space, characters it lacks by "?". */
export function printable(font: PDFFont, text: string): string {
  let set = covered.get(font)
  if (!set) covered.set(font, (set = new Set(font.getCharacterSet())))
  let out = ''
  for (const char of text) {
    const code = char.codePointAt(0)!
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) ? ' ' : set.has(code) ? char : '?'
  }
  return out
}
