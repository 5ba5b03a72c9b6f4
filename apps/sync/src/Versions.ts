import { type SQL, sql } from "drizzle-orm"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { isoNow } from "./Now.js"

/** The columns of a `connections` row, which every version copies. */
export const MIRRORED_COLUMNS = [
  "source", "id", "key", "platform", "platform_version", "name", "type", "environment", "identity", "identity_type",
  "description", "state", "version", "active", "created_at", "tags", "raw", "content_hash", "decode_issue",
  "first_seen_at", "last_seen_at", "deleted_at"
] as const

const columns = sql.raw(MIRRORED_COLUMNS.join(", "))

/**
 * Since when mirror row `c` has held its present version: a sync stamps `last_seen_at` on every row it inserts,
 * rewrites or restores, and `deleted_at` on every tombstone.
 */
const presentSince = (c: string) => `coalesce(${c}.deleted_at, ${c}.last_seen_at)`

/** What one run's apply needs to keep the versions. */
export interface VersionedRun {
  readonly runId: number
  readonly source: string
  /** The run's stamp: where the versions it replaces end. */
  readonly now: string
}

/**
 * The statements keeping the past versions in step with one run's apply, to run inside its transaction once its
 * change log is recorded and before `connections` changes: each connection the log names has its present row copied
 * into `connection_past_versions`, closed at `now`. The row the run then writes is the new present version, so a run
 * that changed nothing, and a first sync, write no version.
 */
export const close = (run: VersionedRun): ReadonlyArray<SQL> => [
  sql`INSERT INTO connection_past_versions (${columns}, valid_from, valid_to, opened_by_run, closed_by_run)
    SELECT ${columns}, ${sql.raw(presentSince("c"))}, ${run.now},
      (SELECT max(ch.run_id) FROM connection_changes ch
        WHERE ch.source = c.source AND ch.connection_id = c.id AND ch.run_id <> ${run.runId}),
      ${run.runId}
    FROM connections c
    WHERE c.source = ${run.source} AND c.id IN (SELECT connection_id FROM connection_changes WHERE run_id = ${run.runId})
    ORDER BY c.id`,
  // A no-op once the source has a horizon: only its first successful run writes one.
  sql`INSERT OR IGNORE INTO history_horizons (source, since, reason) VALUES (${run.source}, ${run.now}, 'first sync')`
]

/** A SQL string literal of `value`. */
export const quoted = (value: string) => `'${value.replaceAll("'", "''")}'`

/**
 * The `connections` table as it stood at the instant `at` (of `source` alone, when given), as the body of a subquery
 * or CTE: each row whose present version had begun by then, else its past version valid then. A connection's versions
 * follow one another without a gap from its first sync on, and the mirror keeps a row (a tombstone at least) of every
 * connection it had, so that past version is its latest one opened by then: one seek per connection in
 * `connection_past_versions_history_idx`, whatever the moment. One SELECT, not a UNION, so SQLite folds it into the
 * query that reads it and a count reads only the columns it needs.
 */
export const connectionsAt = (at: string, source?: string) => {
  const literal = quoted(at)
  const present = `${presentSince("c")} <= ${literal}`
  return `SELECT ${MIRRORED_COLUMNS.map((column) => `iif(v.id IS NULL, c.${column}, v.${column}) AS ${column}`).join(", ")}
    FROM main.connections c LEFT JOIN connection_past_versions v ON NOT (${present}) AND v.source = c.source AND v.id = c.id
      AND v.valid_from = (SELECT max(w.valid_from) FROM connection_past_versions w
        WHERE w.source = c.source AND w.id = c.id AND w.valid_from <= ${literal})
    WHERE (${present} OR v.valid_to > ${literal})${source === undefined ? "" : ` AND c.source = ${quoted(source)}`}`
}

/** A moment the versions cannot answer for: before a source's horizon, or later than now. */
export class HistoryUnavailable extends Schema.TaggedError<HistoryUnavailable>()("HistoryUnavailable", {
  at: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `no history at ${this.at}: ${this.reason}`
  }
}

const horizonReason = {
  "first sync": "its first sync",
  migration: "when picasync began keeping versions of this mirror (older changes cannot be rebuilt exactly)",
  prune: "what picasync prune kept"
} as Record<string, string>

/**
 * Fails unless every source of the mirror (or `source` alone) has versions reaching back to the instant `at`
 * and `at` is not in the future; the message names the earliest moment that can be asked for.
 */
export const checkAvailable = Effect.fn("Versions.checkAvailable")(function*(at: string, source?: string) {
  const db = yield* MirrorDatabase
  const now = yield* isoNow
  if (at > now) return yield* new HistoryUnavailable({ at, reason: `it is later than now (${now})` })
  const horizons = yield* db.readOnly("history", async (tx) =>
    (await tx.execute({
      sql: "SELECT source, since, reason FROM history_horizons WHERE (:source IS NULL OR source = :source) ORDER BY since DESC",
      args: { source: source ?? null }
    })).rows.map((row) => ({ source: String(row.source), since: String(row.since), reason: String(row.reason) })))
  const latest = horizons[0]
  if (latest === undefined) {
    return yield* new HistoryUnavailable({
      at,
      reason: source === undefined ? "the mirror has no successful sync yet" : `source ${source} has no successful sync yet`
    })
  }
  if (at < latest.since) {
    return yield* new HistoryUnavailable({
      at,
      reason: `the earliest moment available is ${latest.since}, for source ${latest.source}: ${horizonReason[latest.reason] ?? latest.reason}`
    })
  }
})
