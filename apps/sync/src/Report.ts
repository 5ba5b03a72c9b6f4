import type { InValue, Transaction } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import * as ReadModel from "./ReadModel.js"
import { type Count, type SourcedRun } from "./ReadModel.js"

const UnhealthyConnection = Schema.Struct({
  source: Schema.String,
  id: Schema.String,
  platform: Schema.NullOr(Schema.String),
  environment: Schema.NullOr(Schema.String),
  state: Schema.String,
  active: ReadModel.BooleanFromInt,
  name: Schema.NullOr(Schema.String),
  /** When a sync first saw it in this state; null when the change log does not say. */
  stateSince: Schema.NullOr(Schema.String),
  daysInState: Schema.NullOr(Schema.Number)
})
export type UnhealthyConnection = typeof UnhealthyConnection.Type

/** State changes observed on one UTC day: towards a bad state (degraded, failed, unknown) or back. */
export interface StateChangeDay {
  readonly day: string
  readonly worse: number
  readonly better: number
}

/** The inventory at the end of one UTC day (or now, for today), from the versions; null before their history starts. */
export interface InventoryDay {
  readonly day: string
  readonly live: number | null
  readonly failed: number | null
  readonly degraded: number | null
}

export interface ReportChange {
  readonly observedAt: string
  readonly runId: number
  readonly source: string
  readonly kind: string
  readonly connectionId: string
  readonly platform: string | null
  readonly name: string | null
  /** `{ field: { old, new } }` for updates and restores, as the change log holds it. */
  readonly changedFields: Record<string, { readonly old?: unknown; readonly new?: unknown }> | null
}

const ChangeRow = Schema.Struct({
  observedAt: Schema.String,
  runId: Schema.Number,
  source: Schema.String,
  kind: Schema.String,
  connectionId: Schema.String,
  platform: Schema.NullOr(Schema.String),
  name: Schema.NullOr(Schema.String),
  changedFields: Schema.NullOr(Schema.String)
})

const StateChanges = Schema.Struct({ day: Schema.String, worse: Schema.Number, better: Schema.Number })
const RunTotals = Schema.Struct({ n: Schema.Number, failed: Schema.Number })

export interface Report {
  readonly generatedAt: string
  /** The `--source` the report is limited to, or null for every source. */
  readonly source: string | null
  readonly sources: ReadonlyArray<string>
  readonly days: number
  /** The start of the window of `days` days the changes are read over (ISO instant). */
  readonly since: string
  readonly live: { readonly total: number; readonly active: number; readonly inactive: number; readonly deleted: number }
  readonly byPlatform: ReadonlyArray<Count>
  readonly byEnvironment: ReadonlyArray<Count>
  readonly byState: ReadonlyArray<Count>
  readonly unhealthy: {
    readonly total: number
    readonly byState: ReadonlyArray<Count>
    /** The longest in a bad state first, at most `unhealthyLimit`. */
    readonly connections: ReadonlyArray<UnhealthyConnection>
  }
  readonly stateChanges: { readonly total: number; readonly perDay: ReadonlyArray<StateChangeDay> }
  /** Live, failed and degraded connections at the end of each day of the window. */
  readonly inventoryOverTime: ReadonlyArray<InventoryDay>
  readonly runs: { readonly total: number; readonly failed: number; readonly recent: ReadonlyArray<SourcedRun> }
  readonly changes: { readonly total: number; readonly byKind: ReadonlyArray<Count>; readonly recent: ReadonlyArray<ReportChange> }
}

export const unhealthyLimit = 50
export const runLimit = 20
export const changeLimit = 50

const badStates = ["degraded", "failed", "unknown"]

const parseFields = (value: string | null): ReportChange["changedFields"] => {
  if (value === null) return null
  try {
    const parsed: unknown = JSON.parse(value)
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed as ReportChange["changedFields"] : null
  } catch {
    return null
  }
}

/** The UTC days from `since` to `now`, oldest first, as `YYYY-MM-DD`. */
export const daysBetween = (since: number, now: number): Array<string> => {
  const days: Array<string> = []
  const day = new Date(since)
  day.setUTCHours(0, 0, 0, 0)
  for (let t = day.getTime(); t <= now; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10))
  return days
}

const DayCounts = Schema.Struct({
  day: Schema.String,
  /** The versions that became valid on the day, or those that stopped. */
  opened: ReadModel.BooleanFromInt,
  live: Schema.Number,
  failed: Schema.Number,
  degraded: Schema.Number
})

/**
 * The last moment of each day (now, for today), counted from the versions valid then: a version is valid
 * at a moment from its `valid_from` until its `valid_to`. One pass over the versions counts, for each day,
 * those that became valid and those that stopped (both ends passed) on it; a day's count is the
 * difference of their sums up to it. A moment before today is its day's last, so a version's day says
 * whether it came by then. (Counting the versions valid at each moment read the open ones again every day.)
 */
const inventoryByDay = async (tx: Transaction, source: string | null, days: ReadonlyArray<string>, now: number) => {
  const at = new Date(now).toISOString()
  const [horizon] = (await tx.execute({
    sql: "SELECT max(since) AS since FROM history_horizons WHERE :source IS NULL OR source = :source",
    args: { source }
  })).rows
  const since = horizon?.since === null || horizon?.since === undefined ? null : String(horizon.since)
  // Through the index on (coalesce(valid_to, '~'), valid_from, source, deleted_at, state), which holds all it reads.
  const counted = await ReadModel.rows(tx, DayCounts, {
    sql: `SELECT day, opened, count(*) AS live, count(*) FILTER (WHERE state = 'failed') AS failed,
        count(*) FILTER (WHERE state = 'degraded') AS degraded
      FROM (
        SELECT substr(valid_from, 1, 10) AS day, true AS opened, state FROM connection_versions
        WHERE valid_from <= :at AND deleted_at IS NULL AND (:source IS NULL OR source = :source)
        UNION ALL
        SELECT substr(max(valid_from, coalesce(valid_to, '~')), 1, 10), false, state FROM connection_versions
        WHERE coalesce(valid_to, '~') <= :at AND valid_from <= :at AND deleted_at IS NULL AND (:source IS NULL OR source = :source)
      )
      GROUP BY day, opened ORDER BY day`,
    args: { at, source }
  })
  const total = { live: 0, failed: 0, degraded: 0 }
  let next = 0
  return days.map((day): InventoryDay => {
    for (; next < counted.length && counted[next]!.day <= day; next++) {
      const { degraded, failed, live, opened } = counted[next]!
      const sign = opened ? 1 : -1
      total.live += sign * live
      total.failed += sign * failed
      total.degraded += sign * degraded
    }
    const end = new Date(Math.min(Date.parse(`${day}T23:59:59.999Z`), now)).toISOString()
    const known = since !== null && end >= since
    return { day, live: known ? total.live : null, failed: known ? total.failed : null, degraded: known ? total.degraded : null }
  })
}

const read_ = async (tx: Transaction, options: ReportOptions): Promise<Report> => {
  const source = options.source ?? null
  const since = new Date(options.now - options.days * 86_400_000).toISOString()
  /** `where` limits a statement to `:source`, bound only when there is one, so an index on the source serves it. */
  const all = <A, I>(schema: Schema.Schema<A, I>, sql: string, args: Record<string, InValue> = {}) =>
    ReadModel.rows(tx, schema, { sql, args: source === null ? args : { source, ...args } })
  const where = source === null ? "true" : "source = :source"

  const sources = (await ReadModel.sources(tx)).filter((name) => source === null || name === source)
  const inventory = await ReadModel.inventory(tx, sources)

  const unhealthyByState = await all(
    ReadModel.Count,
    `SELECT state AS value, count(*) AS connections FROM unhealthy_connections WHERE ${where} GROUP BY 1 ORDER BY connections DESC, value`
  )
  // The longest in a bad state first: the earliest `state_since` has the most `days_in_state`. They are chosen
  // from what the indexes hold, then only their rows are read.
  const longestFirst = "ORDER BY state_since IS NULL, state_since, platform, id"
  const unhealthy = await all(
    UnhealthyConnection,
    `WITH longest AS MATERIALIZED (
        SELECT source, id FROM unhealthy_connections WHERE ${where} ${longestFirst} LIMIT :limit
      )
      SELECT source, id, platform, environment, state, active, name, state_since AS stateSince, days_in_state AS daysInState
      FROM unhealthy_connections WHERE (source, id) IN (SELECT source, id FROM longest) ${longestFirst}`,
    { limit: unhealthyLimit }
  )

  const bad = badStates.map((state) => `'${state}'`).join(", ")
  const stateRows = await all(
    StateChanges,
    `SELECT substr(observed_at, 1, 10) AS day,
        count(*) FILTER (WHERE new_state IN (${bad})) AS worse,
        count(*) FILTER (WHERE new_state IS NULL OR new_state NOT IN (${bad})) AS better
      FROM state_changes WHERE ${where} AND observed_at >= :since GROUP BY 1`,
    { since }
  )
  const byDay = new Map(stateRows.map((row) => [row.day, row]))
  const perDay = daysBetween(Date.parse(since), options.now).map((day) => ({
    day,
    worse: byDay.get(day)?.worse ?? 0,
    better: byDay.get(day)?.better ?? 0
  }))

  const inventoryOverTime = await inventoryByDay(tx, source, daysBetween(Date.parse(since), options.now), options.now)

  const [runTotals] = await all(
    RunTotals,
    `SELECT count(*) AS n, count(*) FILTER (WHERE status IN ('failed', 'interrupted')) AS failed FROM sync_runs WHERE ${where}`
  )

  const byKind = await all(
    ReadModel.Count,
    `SELECT kind AS value, count(*) AS connections FROM connection_changes WHERE ${where} AND observed_at >= :since
      GROUP BY 1 ORDER BY connections DESC, value`,
    { since }
  )
  const recent = (await all(
    ChangeRow,
    `SELECT observed_at AS observedAt, run_id AS runId, source, kind, connection_id AS connectionId, platform, name,
        changed_fields AS changedFields
      FROM recent_changes WHERE ${where} AND observed_at >= :since LIMIT :limit`,
    { since, limit: changeLimit }
  )).map((row): ReportChange => ({ ...row, changedFields: parseFields(row.changedFields) }))

  return {
    generatedAt: new Date(options.now).toISOString(),
    source,
    sources,
    days: options.days,
    since,
    live: { total: inventory.live, active: inventory.active, inactive: inventory.inactive, deleted: inventory.deleted },
    byPlatform: inventory.byPlatform,
    byEnvironment: inventory.byEnvironment,
    byState: inventory.byState,
    unhealthy: { total: await ReadModel.unhealthyCount(tx, source), byState: unhealthyByState, connections: unhealthy },
    stateChanges: { total: perDay.reduce((sum, day) => sum + day.worse + day.better, 0), perDay },
    inventoryOverTime,
    runs: { total: runTotals?.n ?? 0, failed: runTotals?.failed ?? 0, recent: await ReadModel.recentRuns(tx, source, runLimit) },
    changes: { total: byKind.reduce((sum, kind) => sum + kind.connections, 0), byKind, recent }
  }
}

export interface ReportOptions {
  readonly now: number
  /** The window, in days back from `now`, of the change log sections. */
  readonly days: number
  /** Only this source; every source when undefined. */
  readonly source?: string | undefined
}

/** Everything the report shows, read in one read-only transaction, so its numbers agree with each other. */
export const read = Effect.fn("Report.read")(function*(options: ReportOptions) {
  const db = yield* MirrorDatabase
  return yield* db.readOnly("report", (tx) => read_(tx, options))
})
