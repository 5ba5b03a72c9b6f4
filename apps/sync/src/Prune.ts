import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import * as Versions from "./Versions.js"

export interface PruneOptions {
  /** ISO instant: history older than this goes. */
  readonly cutoff: string
  /** Only this source's history; every source's when undefined. */
  readonly source?: string | undefined
  /** Count what would go, and remove nothing. */
  readonly dryRun?: boolean | undefined
}

/** What a prune removed, or would remove, by kind of record. */
export interface Pruned {
  readonly runs: number
  readonly changes: number
  readonly versions: number
  readonly notifications: number
  readonly unreadableRows: number
}

/**
 * Per kind of record, which rows are older than `cutoff` and not part of the present: the newest run and the
 * newest success of each source (what `status` and `check` read), each connection's last change before the cutoff
 * that dated its state (`unhealthy_connections.state_since`, now and as of any moment kept), changes still to be
 * notified, present versions (the mirror rows) and undelivered notifications all stay.
 */
const targets = (cutoff: string, source: string | undefined) => {
  const before = Versions.quoted(cutoff)
  const only = source === undefined ? "" : ` AND source = ${Versions.quoted(source)}`
  return [
    {
      kind: "runs",
      table: "sync_runs",
      where: `started_at < ${before} AND status <> 'running'${only}
        AND id NOT IN (SELECT max(id) FROM sync_runs GROUP BY source)
        AND id NOT IN (SELECT max(id) FROM sync_runs WHERE status = 'succeeded' GROUP BY source)`
    },
    {
      kind: "changes",
      table: "connection_changes",
      where: `observed_at < ${before}${only}
        AND id NOT IN (SELECT max(id) FROM connection_changes WHERE observed_at < ${before}
          AND (kind IN ('inserted', 'restored') OR changed_fields -> '$.state' IS NOT NULL) GROUP BY source, connection_id)
        AND id NOT IN (SELECT change_id FROM notification_outbox WHERE delivered_at IS NULL)`
    },
    { kind: "versions", table: "connection_past_versions", where: `valid_to <= ${before}${only}` },
    { kind: "notifications", table: "notification_outbox", where: `delivered_at < ${before}${only}` },
    { kind: "unreadableRows", table: "unreadable_rows", where: `observed_at < ${before}${only}` }
  ] as const
}

/**
 * Removes the history older than `options.cutoff`, all in one transaction, and moves each source's horizon
 * (the earliest moment `--as-of` answers for) up to it; the present is untouched. Returns what it removed,
 * or with `dryRun` what it would remove.
 */
export const run = Effect.fn("Prune.run")(function*(options: PruneOptions) {
  const db = yield* MirrorDatabase
  const all = targets(options.cutoff, options.source)
  const counted = yield* Effect.forEach(all, ({ kind, table, where }) =>
    Effect.map(
      options.dryRun === true
        ? db.query("prune", (orm) => orm.$client.execute(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).pipe(
          Effect.map((result) => Number(result.rows[0]?.n ?? 0))
        )
        : db.query("prune", (orm) => orm.$client.execute(`DELETE FROM ${table} WHERE ${where}`)).pipe(
          Effect.map((result) => result.rowsAffected)
        ),
      (count) => [kind, count] as const
    ))
  const pruned = Object.fromEntries(counted) as unknown as Pruned
  if (options.dryRun === true) return pruned
  const only = options.source === undefined ? "" : ` AND source = ${Versions.quoted(options.source)}`
  yield* db.query("prune", (orm) =>
    orm.$client.execute(
      `UPDATE history_horizons SET since = ${Versions.quoted(options.cutoff)}, reason = 'prune' WHERE since < ${
        Versions.quoted(options.cutoff)
      }${only}`
    ))
  return pruned
}, (effect, options) => options.dryRun === true ? effect : Effect.flatMap(MirrorDatabase, (db) => db.transaction("prune", effect)))

/** Gives the pages a prune freed back to the file system: a local file only, outside any transaction. */
export const vacuum = Effect.fn("Prune.vacuum")(function*() {
  const db = yield* MirrorDatabase
  yield* db.query("vacuum", (orm) => orm.$client.execute("VACUUM"))
})
