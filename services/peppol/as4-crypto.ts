// The payload protection of the Peppol AS4 profile 2.0: the compressed business document is encrypted with a
// fresh AES-128-GCM key (xmlenc11#aes128-gcm: 12-byte IV, then the ciphertext, then the 16-byte tag), and that key
// is wrapped for the receiver's certificate with RSA-OAEP (xmlenc11#rsa-oaep, SHA-256 digest, MGF1 with SHA-256).
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto'
import { gunzip, gzip } from 'node:zlib'
import { promisify } from 'node:util'

export const encAlg = {
  aes128Gcm: 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  rsaOaep: 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
  mgf1Sha256: 'http://www.w3.org/2009/xmlenc11#mgf1sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
} as const

const IV = 12
const TAG = 16

export function encryptContent(plain: Buffer, key = randomBytes(16)): { key: Buffer; encrypted: Buffer } {
  const iv = randomBytes(IV)
  const cipher = createCipheriv('aes-128-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return { key, encrypted: Buffer.concat([iv, body, cipher.getAuthTag()]) }
}

/** Null when the key or the content was changed (the GCM tag does not verify) or the content is too short. */
export function decryptContent(encrypted: Buffer, key: Buffer): Buffer | null {
  if (encrypted.length < IV + TAG || key.length !== 16) return null
  try {
    const decipher = createDecipheriv('aes-128-gcm', key, encrypted.subarray(0, IV))
    decipher.setAuthTag(encrypted.subarray(encrypted.length - TAG))
    return Buffer.concat([decipher.update(encrypted.subarray(IV, encrypted.length - TAG)), decipher.final()])
  } catch {
    return null
  }
}

// node:crypto's oaepHash sets both the OAEP digest and MGF1's to SHA-256, which is what the profile asks.
export const wrapKey = (key: Buffer, receiver: KeyObject) => publicEncrypt({ key: receiver, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key)

export function unwrapKey(wrapped: Buffer, own: KeyObject): Buffer | null {
  try {
    return privateDecrypt({ key: own, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped)
  } catch {
    return null
  }
}

export const compress = promisify(gzip)

/** Gunzip with a ceiling on the output: a decompression bomb stops at `maxBytes` instead of filling memory. */
export async function decompress(data: Buffer, maxBytes: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  try {
    return { ok: true, bytes: await promisify(gunzip)(data, { maxOutputLength: maxBytes }) }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return { ok: false, reason: code === 'ERR_BUFFER_TOO_LARGE' ? `the payload decompresses to more than ${maxBytes} bytes` : `the payload is not valid gzip (${(error as Error).message})` }
  }
}
