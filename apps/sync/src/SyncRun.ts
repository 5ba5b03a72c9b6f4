import { getTableColumns, type SQL, sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { runStatuses, syncRuns } from "./db/schema.js"
import { decodeRows } from "./db/Statement.js"
import type { MirrorCounts } from "./Mirror.js"
import { isoNow } from "./Now.js"

/** What the fetch phase of a run did, recorded whether or not the run succeeds. */
export interface FetchStats {
  readonly pagesFetched: number
  readonly rowsFetched: number
  readonly idsChecked: number
  readonly driftDetected: boolean
  /** Counted in the listings' totals but listed on no page. */
  readonly rowsUnlisted: number
  /** Rows the client could not read, recorded in `unreadable_rows`. */
  readonly rowsUnreadable: number
  /** Missing live rows that could not be confirmed gone: kept as they were. */
  readonly idsUnconfirmed: number
  /** Pages read again because rows sharing a `createdAt` straddled a page boundary (`TieRescan`). */
  readonly tieRereads: number
  /** `limit` of the pages after the first: what the run asked for, or learned the server gives. */
  readonly pageSize: number
  /** False when a row without a usable id was listed or a missing row is unconfirmed: then nothing is tombstoned. */
  readonly complete: boolean
}

/** How a run that changed nothing in the mirror ended. */
export interface Failure {
  readonly status: "failed" | "interrupted"
  readonly fetched: FetchStats
  readonly error: string
}

/**
 * Why a run left `running` ended, as far as anyone can tell. A success is recorded with the mirror's
 * changes, so such a run changed nothing.
 */
const unrecordedEnd =
  "its end was never recorded: the process running it stopped, or could not write the run log (a full disk?); none of its changes are in the mirror"

const columns = getTableColumns(syncRuns)
type Column = keyof typeof columns

/** `column = value, …` for the run's fields in `values`, by their column names. */
const assignments = (values: Partial<Record<Column, string | number | boolean | null>>): SQL =>
  sql.join(
    Object.entries(values).map(([field, value]) => sql`${sql.identifier(columns[field as Column].name)} = ${value}`),
    sql`, `
  )

/** Every column, named as `SyncRun`'s field. */
const asFields = sql.join(
  Object.entries(columns).map(([field, column]) => sql`${sql.identifier(column.name)} AS ${sql.identifier(field)}`),
  sql`, `
)

/**
 * Records a new run of `source` as `running` and returns its id. Called while holding the
 * source's lock, so a run still marked `running` was left by a process that died, or that could not
 * record its failure.
 */
export const start = Effect.fn("SyncRun.start")(function*(source: string) {
  const db = yield* MirrorDatabase
  const now = yield* isoNow
  yield* db.execute(
    "run log",
    sql`UPDATE sync_runs SET ${assignments({ status: "interrupted", finishedAt: now, error: unrecordedEnd })}
      WHERE source = ${source} AND status = 'running'`
  )
  const [run] = yield* db.execute("run log", sql`INSERT INTO sync_runs (source, started_at, status) VALUES (${source}, ${now}, 'running') RETURNING id`)
    .pipe(Effect.flatMap(decodeRows("run log", Schema.Tuple(Schema.Struct({ id: Schema.Int })))))
  return run.id
})

/** The fetch counters `sync_runs` keeps. */
const recorded = ({ complete: _complete, ...stats }: FetchStats) => stats

/**
 * Records run `runId` as succeeded, with its counts, and returns it as recorded. Run it in the apply's
 * transaction: the record commits with the mirror's changes or not at all, so it never contradicts them.
 */
export const finish = Effect.fn("SyncRun.finish")(function*(runId: number, fetched: FetchStats, counts: MirrorCounts) {
  const db = yield* MirrorDatabase
  const finishedAt = yield* isoNow
  const [run] = yield* db.execute(
    "run log",
    sql`UPDATE sync_runs SET ${assignments({ status: "succeeded", finishedAt, ...recorded(fetched), ...counts, error: null })}
      WHERE id = ${runId} RETURNING ${asFields}`
  ).pipe(Effect.flatMap(decodeRows("run log", Schema.Tuple(Row))))
  return new SyncRun(run)
})

/**
 * Records run `runId` as failed or interrupted, after its transaction rolled back. Only a run still
 * `running`: a success that committed before the failure (an interruption just after the commit) stands.
 */
export const fail = Effect.fn("SyncRun.fail")(function*(runId: number, failure: Failure) {
  const db = yield* MirrorDatabase
  const finishedAt = yield* isoNow
  yield* db.execute(
    "run log",
    sql`UPDATE sync_runs SET ${assignments({ status: failure.status, finishedAt, ...recorded(failure.fetched), error: failure.error })}
      WHERE id = ${runId} AND status = 'running'`
  )
})

/** One run of a sync, as `sync_runs` records it. */
export class SyncRun extends Schema.Class<SyncRun>("SyncRun")({
  id: Schema.Int,
  source: Schema.String,
  /** ISO 8601. */
  startedAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String),
  status: Schema.Literal(...runStatuses),
  pagesFetched: Schema.Int,
  rowsFetched: Schema.Int,
  /** Connections fetched one by one to confirm a deletion. */
  idsChecked: Schema.Int,
  inserted: Schema.Int,
  updated: Schema.Int,
  unchanged: Schema.Int,
  deleted: Schema.Int,
  restored: Schema.Int,
  driftDetected: Schema.Boolean,
  /** Counted in the listings' totals but listed on no page. */
  rowsUnlisted: Schema.Int,
  /** Rows the client could not read, each in `unreadable_rows`. */
  rowsUnreadable: Schema.Int,
  /** Missing rows that could not be confirmed gone: kept, not tombstoned. */
  idsUnconfirmed: Schema.Int,
  /** Pages read again because rows sharing a `createdAt` straddled a page boundary. */
  tieRereads: Schema.Int,
  /** `limit` of the pages after the first; null for runs recorded before it was. */
  pageSize: Schema.NullOr(Schema.Int),
  /** The one-line message of a failed run. */
  error: Schema.NullOr(Schema.String)
}) {}

/** A `sync_runs` row as SQLite returns it, with `asFields`: a boolean is 0 or 1. */
const Row = Schema.Struct({
  ...SyncRun.fields,
  driftDetected: Schema.transform(Schema.Literal(0, 1), Schema.Boolean, {
    strict: true,
    decode: (stored) => stored === 1,
    encode: (drifted) => (drifted ? 1 : 0)
  })
})
