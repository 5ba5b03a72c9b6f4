import type { UnreadableRow } from "@picasync/client"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { unreadableRows } from "./db/schema.js"
import { isoNow } from "./Now.js"
import { canonicalJson } from "./Staging.js"

/** Where an unreadable row was listed. */
export interface ListedAt {
  readonly runId: number
  readonly source: string
  readonly listedActive: boolean
  readonly page: number
}

/**
 * Records rows of one page the client could not read, outside the mirror's transaction, so an
 * analyst sees them whether or not the run succeeds.
 */
export const record = Effect.fn("UnreadableRows.record")(function*(at: ListedAt, rows: ReadonlyArray<UnreadableRow>) {
  if (rows.length === 0) return
  const db = yield* MirrorDatabase
  const observedAt = yield* isoNow
  yield* db.query("unreadable rows", (orm) =>
    orm.insert(unreadableRows).values(rows.map((row) => ({
      runId: at.runId,
      source: at.source,
      connectionId: row.id ?? null,
      listedActive: at.listedActive,
      page: at.page,
      position: row.position,
      path: row.path,
      reason: row.reason,
      raw: canonicalJson(row.raw) ?? "null",
      observedAt
    }))))
})
