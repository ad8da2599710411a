// A DNS server on loopback for tests (RFC 1035 wire format over UDP): answers NAPTR questions for the names it
// is given, NXDOMAIN for any other name. Enough for BDXL: Node's own resolver (c-ares) queries it.
import { createSocket } from 'node:dgram'
import type { NaptrRecord } from '../services/peppol/bdxl.js'

const NAPTR = 35

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = []
  let at = offset
  while (msg[at]! !== 0) {
    const length = msg[at]!
    labels.push(msg.subarray(at + 1, at + 1 + length).toString('ascii'))
    at += 1 + length
  }
  return { name: labels.join('.').toLowerCase(), end: at + 1 }
}

const charString = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }

function naptrRdata(r: NaptrRecord): Buffer {
  return Buffer.concat([u16(r.order), u16(r.preference), charString(r.flags), charString(r.service), charString(r.regexp), Buffer.from([0])])
}

export async function startDnsServer(records: Map<string, NaptrRecord[]>): Promise<{ server: string; queries: string[]; close(): void }> {
  const socket = createSocket('udp4')
  const queries: string[] = []
  socket.on('message', (msg, peer) => {
    const id = msg.readUInt16BE(0)
    const { name, end } = readName(msg, 12)
    const qtype = msg.readUInt16BE(end)
    queries.push(name)
    const question = msg.subarray(12, end + 4)
    const answers = qtype === NAPTR ? records.get(name) ?? null : null
    const header = Buffer.alloc(12)
    header.writeUInt16BE(id, 0)
    // QR, AA, RD copied, RA; RCODE 3 (NXDOMAIN) when the name is unknown.
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (answers ? 0 : 3), 2)
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(answers?.length ?? 0, 6)
    const rrs = (answers ?? []).map((r) => {
      const rdata = naptrRdata(r)
      const fixed = Buffer.alloc(10)
      fixed.writeUInt16BE(NAPTR, 0); fixed.writeUInt16BE(1, 2); fixed.writeUInt32BE(60, 4); fixed.writeUInt16BE(rdata.length, 8)
      return Buffer.concat([u16(0xc00c), fixed, rdata])
    })
    socket.send(Buffer.concat([header, question, ...rrs]), peer.port, peer.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { server: `127.0.0.1:${socket.address().port}`, queries, close: () => socket.close() }
}
