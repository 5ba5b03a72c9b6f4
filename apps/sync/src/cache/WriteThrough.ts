import type { Connection } from "@picasync/client"
import { sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "../db/MirrorDatabase.js"
import { isoNow } from "../Now.js"
import * as Sync from "../Sync.js"
import * as SyncLock from "../SyncLock.js"
import * as SyncRun from "../SyncRun.js"
import * as Versions from "../Versions.js"

/** A run of one connection confirmed by id: it lists no page, so it never passes for a sync of the inventory. */
const oneConnection: SyncRun.FetchStats = {
  pagesFetched: 0,
  rowsFetched: 0,
  idsChecked: 1,
  driftDetected: false,
  rowsUnlisted: 0,
  rowsUnreadable: 0,
  idsUnconfirmed: 0,
  tieRereads: 0,
  complete: false,
  pageSize: 1
}

/**
 * Applies `connection`, as the API has it after a write, to the mirror of `source`: a run of its own that
 * stages that one row, so it is inserted, updated or restored with its change recorded as a sync records it.
 */
export const apply = Effect.fn("WriteThrough.apply")(function*(source: string, connection: Connection) {
  return yield* Sync.run({
    source,
    wait: true,
    concurrency: 1,
    pageSize: 1,
    // Incomplete on purpose: a run that staged one row must tombstone nothing else.
    fetch: (staging) =>
      Effect.as(staging.stage([{ id: connection.id, raw: connection, listedActive: connection.active ?? true }]), oneConnection)
  })
})

/**
 * Tombstones connection `id` of `source` after the API confirmed it gone, in one transaction with its
 * `deleted` change and its run's record, under the source's sync lock.
 */
export const tombstone = Effect.fn("WriteThrough.tombstone")(function*(source: string, id: string) {
  const db = yield* MirrorDatabase
  return yield* Effect.scoped(Effect.gen(function*() {
    const lock = yield* SyncLock.hold(source, { wait: true })
    const runId = yield* SyncRun.start(source)
    const now = yield* isoNow
    return yield* db.transaction(
      "write through",
      Effect.gen(function*() {
        yield* SyncLock.verify(lock)
        const deleted = yield* db.execute<{ id: string }>(
          "write through",
          sql`INSERT INTO connection_changes (run_id, source, connection_id, kind, observed_at)
            SELECT ${runId}, source, id, 'deleted', ${now} FROM connections
            WHERE source = ${source} AND id = ${id} AND deleted_at IS NULL RETURNING connection_id AS id`
        )
        if (deleted.length > 0) {
          yield* Effect.forEach(Versions.close({ runId, source, now }), (statement) => db.execute("write through", statement))
          yield* db.execute(
            "write through",
            sql`UPDATE connections SET deleted_at = ${now} WHERE source = ${source} AND id = ${id}`
          )
        }
        const counts = { inserted: 0, updated: 0, unchanged: 0, deleted: deleted.length, restored: 0 }
        return yield* SyncRun.finish(runId, oneConnection, counts)
      })
    ).pipe(
      Effect.tapError((error) =>
        Effect.ignoreLogged(SyncRun.fail(runId, { status: "failed", fetched: oneConnection, error: error.message }))
      )
    )
  }))
})
