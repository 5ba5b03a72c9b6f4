import type { Row, Transaction } from "@libsql/client"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"

/** A run as `status` reports it. */
export interface RunSummary {
  readonly id: number
  readonly status: string
  readonly startedAt: string
  readonly finishedAt: string | null
  readonly rowsFetched: number
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  readonly deleted: number
  readonly restored: number
  readonly driftDetected: boolean
  readonly rowsUnreadable: number
  readonly rowsUnlisted: number
  readonly idsUnconfirmed: number
  readonly error: string | null
}

export interface Count {
  readonly value: string
  readonly connections: number
}

export interface SourceStatus {
  readonly source: string
  readonly lastSuccess: RunSummary | null
  readonly lastFailure: RunSummary | null
  readonly live: number
  readonly active: number
  readonly inactive: number
  readonly deleted: number
  readonly byEnvironment: ReadonlyArray<Count>
  /** `none` counts older rows the API sent without a state. */
  readonly byState: ReadonlyArray<Count>
  readonly topPlatforms: ReadonlyArray<Count>
  /** Why the mirror may be out of date, or null when the newest successful run is recent enough. */
  readonly stale: string | null
}

const runColumns = `id, status, started_at, finished_at, rows_fetched, inserted, updated, unchanged, deleted, restored,
  drift_detected, rows_unreadable, rows_unlisted, ids_unconfirmed, error`

const toRun = (row: Row | undefined): RunSummary | null =>
  row === undefined ? null : {
    id: Number(row.id),
    status: String(row.status),
    startedAt: String(row.started_at),
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
    rowsFetched: Number(row.rows_fetched),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    unchanged: Number(row.unchanged),
    deleted: Number(row.deleted),
    restored: Number(row.restored),
    driftDetected: Boolean(row.drift_detected),
    rowsUnreadable: Number(row.rows_unreadable),
    rowsUnlisted: Number(row.rows_unlisted),
    idsUnconfirmed: Number(row.ids_unconfirmed),
    error: row.error === null ? null : String(row.error)
  }

const counts = async (tx: Transaction, column: string, source: string, limit = -1): Promise<Array<Count>> =>
  (await tx.execute({
    sql: `SELECT coalesce(${column}, 'none') AS value, count(*) AS connections FROM live_connections
      WHERE source = ? GROUP BY 1 ORDER BY connections DESC, value LIMIT ?`,
    args: [source, limit]
  })).rows.map((row) => ({ value: String(row.value), connections: Number(row.connections) }))

/** "3 h", "2 d": coarse, as an operator reads it at a glance. */
export const age = (millis: number) => {
  const minutes = Math.floor(millis / 60_000)
  if (minutes < 1) return `${Math.max(0, Math.floor(millis / 1000))} s`
  if (minutes < 120) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d`
}

const sourceStatus = async (tx: Transaction, source: string, now: number, staleAfterMillis: number) => {
  const lastRun = async (statuses: string) =>
    toRun((await tx.execute({
      sql: `SELECT ${runColumns} FROM sync_runs WHERE source = ? AND status IN (${statuses}) ORDER BY id DESC LIMIT 1`,
      args: [source]
    })).rows[0])
  const lastSuccess = await lastRun("'succeeded'")
  const lastFailure = await lastRun("'failed', 'interrupted'")
  const totals = (await tx.execute({
    sql: `SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS live,
        coalesce(sum(active) FILTER (WHERE deleted_at IS NULL), 0) AS active,
        count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted
      FROM connections WHERE source = ?`,
    args: [source]
  })).rows[0]
  const finished = lastSuccess?.finishedAt === null || lastSuccess === null ? undefined : Date.parse(lastSuccess.finishedAt)
  const stale = finished === undefined
    ? `source "${source}" has never synced successfully`
    : now - finished > staleAfterMillis
    ? `the newest successful sync of source "${source}" is ${age(now - finished)} old (more than the ${
      age(staleAfterMillis)
    } allowed)`
    : null
  return {
    source,
    lastSuccess,
    lastFailure,
    live: Number(totals?.live ?? 0),
    active: Number(totals?.active ?? 0),
    inactive: Number(totals?.live ?? 0) - Number(totals?.active ?? 0),
    deleted: Number(totals?.deleted ?? 0),
    byEnvironment: await counts(tx, "environment", source),
    byState: await counts(tx, "state", source),
    topPlatforms: await counts(tx, "platform", source, 5),
    stale
  } satisfies SourceStatus
}

/** The state of every source in the mirror, read in one read-only transaction. */
export const read = Effect.fn("Status.read")(function*(options: { readonly now: number; readonly staleAfterMillis: number }) {
  const db = yield* MirrorDatabase
  return yield* db.readOnly("status", async (tx) => {
    const sources = (await tx.execute(
      "SELECT source FROM sync_runs UNION SELECT source FROM connections ORDER BY source"
    )).rows.map((row) => String(row.source))
    const statuses: Array<SourceStatus> = []
    for (const source of sources) statuses.push(await sourceStatus(tx, source, options.now, options.staleAfterMillis))
    return statuses
  })
})
