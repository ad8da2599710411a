// Directory queries of the routing service (table `participants`, written through the gateway's admin API).
import type { Db } from '../kit/db.js'
import type { Recipient } from './resolve-route.js'

export async function findRecipient(db: Db, address: string | null): Promise<Recipient | null> {
  if (!address) return null
  const { rows } = await db.query<Recipient>('SELECT address, name, endpoint FROM participants WHERE address = $1', [address])
  return rows[0] ?? null
}
