// The Chorus Pro-compatible API's structures (Chorus Pro's directory of public structures and their services, as
// the hub's directory has them): structures/v1/rechercher, consulter, rechercher/services, and
// transverses/v1/recuperer/structures/actives/{fournisseur,destinataire}.
import type { Express, RequestHandler } from 'express'
import type { Db } from '../kit/db.js'

export function cproStructureRoutes(_app: Express, _helpers: { db: Db; call: RequestHandler[] }) {
  // To come: see the README, "Chorus Pro-compatible API".
}
