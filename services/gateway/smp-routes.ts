// The hub's SMP (SMP 1.x, busdox paths), public as an SMP is: `GET /smp/{participant}` lists a participant's
// document types, `GET /smp/{participant}/services/{document type}` answers the signed service metadata
// (services/peppol/smp-publisher.ts). Mounted only when the hub has an SMP key and an AS4 URL to publish.
import type { Express, Response } from 'express'
import { parseParticipant, parseQualified } from '../peppol/identifiers.js'
import type { SmpPublisher } from '../peppol/smp-publisher.js'
import { problem, type Problem } from '../kit/problem.js'

export function smpRoutes(app: Express, { smp, send }: { smp: SmpPublisher; send: (res: Response, p: Problem) => void }) {
  const participantOf = (raw: string) => parseParticipant(raw)
  const xml = (res: Response, body: string) => res.status(200).type('application/xml; charset=utf-8').send(body)

  app.get('/smp/:participant', async (req, res) => {
    const participant = participantOf(String(req.params.participant))
    if (!participant.ok) return send(res, problem('INVALID_REQUEST', participant.reason))
    const base = `${req.protocol}://${req.get('host')}/smp`
    const group = await smp.serviceGroup(participant.id, base)
    if (!group) return send(res, problem('NOT_FOUND', `this SMP does not serve ${participant.id.value}`))
    xml(res, group)
  })

  app.get('/smp/:participant/services/:documentType', async (req, res) => {
    const participant = participantOf(String(req.params.participant))
    if (!participant.ok) return send(res, problem('INVALID_REQUEST', participant.reason))
    const documentType = parseQualified(String(req.params.documentType))
    if (!documentType) return send(res, problem('INVALID_REQUEST', 'the document type must be busdox-docid-qns::<id>'))
    const metadata = await smp.serviceMetadata(participant.id, documentType)
    if (!metadata) return send(res, problem('NOT_FOUND', `${participant.id.value} does not receive ${documentType.value} through this hub`))
    xml(res, metadata)
  })
}
