// Drop-folder delivery (file:///dir): the recipient's folder receives `<documentId>.xml` (`.pdf` for a Factur-X
// deposit, delivered as it came). Written to a
// temporary name and renamed, so a recipient polling the folder never reads a half-written file; a
// redelivery rewrites the same name with the same bytes.
// Only under the drop root (FACTEUR_DROP_ROOT): the folder's real path, symbolic links resolved, is checked
// at every delivery before anything is created or written, so a link planted under the root cannot lead the
// hub's writes elsewhere (kit/endpoint-policy.ts checks the same lexically at registration).
import { mkdir, realpath, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { dropFolderPath, isInside } from '../../kit/endpoint-policy.js'
import type { Channel, DeliveryOutcome } from './channel.js'

// EEXIST: mkdir found a file where the folder should be.
const PERMANENT = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ELOOP'])

/** The real path of `path`'s deepest part that exists (the rest is to be created). */
async function realExistingPart(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try { return await realpath(p) } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT' || dirname(p) === p) throw error
    }
  }
}

export const dropFolderChannel = (root: string): Channel => async (endpoint, delivery): Promise<DeliveryOutcome> => {
  const folder = dropFolderPath(endpoint, root)
  if (!folder.ok) return { outcome: 'failed', detail: `refused: ${folder.reason}` }
  const dir = folder.path
  const name = delivery.name ?? delivery.documentId
  const extension = delivery.contentType === 'application/pdf' ? 'pdf' : 'xml'
  const target = join(dir, `${name}.${extension}`)
  const temp = join(dir, `.${name}.${extension}.partial`)
  const escaped = (real: string) => ({ outcome: 'failed' as const, detail: `refused: the folder ${dir} leads to ${real} through a symbolic link, outside the drop root ${root} (FACTEUR_DROP_ROOT)` })
  try {
    await mkdir(root, { recursive: true })
    const realRoot = await realpath(root)
    const before = await realExistingPart(dir)
    if (!isInside(realRoot, before)) return escaped(before)
    await mkdir(dir, { recursive: true })
    const after = await realpath(dir)
    if (!isInside(realRoot, after)) return escaped(after)
    // A temporary file left by a crash (or a link planted in its place) is removed, not followed; 'wx' then
    // creates a fresh file and fails rather than write through anything that appeared meanwhile.
    await unlink(temp).catch(() => {})
    await writeFile(temp, delivery.bytes, { flag: 'wx' })
    await rename(temp, target)
    return { outcome: 'delivered', detail: `written to ${target}` }
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    return { outcome: PERMANENT.has(code) ? 'failed' : 'retry-later', detail: `${code || 'error'}: ${(error as Error).message}` }
  }
}
