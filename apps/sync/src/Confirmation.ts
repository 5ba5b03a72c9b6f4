import { type Connection, PicaClient } from "@picasync/client"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/** What asking the API for one missing row by id found. */
export type Confirmation = Data.TaggedEnum<{
  /** The row exists: hidden from the listings, or skipped by them. */
  Live: { readonly row: Connection }
  /** A 404: the row is gone. */
  Gone: {}
  /** This deployment has no GET by id: it cannot say. */
  Unknowable: {}
}>
export const { $is, Gone, Live, Unknowable } = Data.taggedEnum<Confirmation>()

/** Asks the API for connection `id`: found, gone (404), or unknowable where the deployment has no GET by id. */
export const byId = (id: string) =>
  Effect.flatMap(PicaClient, (client) => client.getConnection(id)).pipe(
    Effect.map((row) => Live({ row })),
    Effect.catchTags({
      PicaNotFoundError: () => Effect.succeed(Gone()),
      PicaUnsupportedError: () => Effect.succeed(Unknowable())
    })
  )
