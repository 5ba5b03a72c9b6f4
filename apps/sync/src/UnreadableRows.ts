import type { UnreadableRow } from "@picasync/client"
import { sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { isoNow } from "./Now.js"
import { canonicalJson } from "./CanonicalJson.js"

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
  const values = rows.map((row) =>
    sql`(${at.runId}, ${at.source}, ${row.id ?? null}, ${at.listedActive}, ${at.page}, ${row.position}, ${row.path}, ${row.reason},
      ${canonicalJson(row.raw) ?? "null"}, ${observedAt})`
  )
  yield* db.execute(
    "unreadable rows",
    sql`INSERT INTO unreadable_rows (run_id, source, connection_id, listed_active, page, position, path, reason, raw, observed_at)
      VALUES ${sql.join(values, sql`, `)}`
  )
})
