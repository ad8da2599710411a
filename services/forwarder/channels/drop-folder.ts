// Drop-folder delivery (file:///dir): the recipient's folder receives `<documentId>.xml`. Written to a
// temporary name and renamed, so a recipient polling the folder never reads a half-written file; a
// redelivery rewrites the same name with the same bytes.
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Channel } from './channel.js'

// EEXIST: mkdir found a file where the folder should be.
const PERMANENT = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST'])

export const dropFolderChannel: Channel = async (endpoint, delivery) => {
  const dir = fileURLToPath(endpoint)
  const name = delivery.name ?? delivery.documentId
  const target = join(dir, `${name}.xml`)
  const temp = join(dir, `.${name}.xml.partial`)
  try {
    await mkdir(dir, { recursive: true })
    await writeFile(temp, delivery.bytes)
    await rename(temp, target)
    return { outcome: 'delivered', detail: `written to ${target}` }
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    return { outcome: PERMANENT.has(code) ? 'failed' : 'retry-later', detail: `${code || 'error'}: ${(error as Error).message}` }
  }
}
