import type { InValue, Transaction } from "@libsql/client"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"

/** A value (platform, environment, state, kind) and how many rows have it; `none` stands for NULL. */
export interface Count {
  readonly value: string
  readonly count: number
}

export interface UnhealthyConnection {
  readonly source: string
  readonly id: string
  readonly platform: string | null
  readonly environment: string | null
  readonly state: string
  readonly active: boolean
  readonly name: string | null
  /** When a sync first saw it in this state; null when the change log does not say. */
  readonly stateSince: string | null
  readonly daysInState: number | null
}

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

export interface ReportRun {
  readonly id: number
  readonly source: string
  readonly status: string
  readonly startedAt: string
  readonly finishedAt: string | null
  /** Null while running, or when the run never finished. */
  readonly durationMillis: number | null
  readonly rowsFetched: number
  readonly inserted: number
  readonly updated: number
  readonly deleted: number
  readonly restored: number
  readonly error: string | null
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
  readonly runs: { readonly total: number; readonly failed: number; readonly recent: ReadonlyArray<ReportRun> }
  readonly changes: { readonly total: number; readonly byKind: ReadonlyArray<Count>; readonly recent: ReadonlyArray<ReportChange> }
}

export const unhealthyLimit = 50
export const runLimit = 20
export const changeLimit = 50

const badStates = ["degraded", "failed", "unknown"]

const text = (value: unknown) => (value === null || value === undefined ? null : String(value))

const parseFields = (value: unknown): ReportChange["changedFields"] => {
  if (value === null || value === undefined) return null
  try {
    const parsed: unknown = JSON.parse(String(value))
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

/** The last moment of each day (now, for today), counted from the versions valid then, in one statement. */
const inventoryByDay = async (tx: Transaction, source: string | null, days: ReadonlyArray<string>, now: number) => {
  const moments = days.map((day) => new Date(Math.min(Date.parse(`${day}T23:59:59.999Z`), now)).toISOString())
  const [horizon] = (await tx.execute({
    sql: "SELECT max(since) AS since FROM history_horizons WHERE :source IS NULL OR source = :source",
    args: { source }
  })).rows
  const since = horizon?.since === null || horizon?.since === undefined ? null : String(horizon.since)
  const counted = (await tx.execute({
    sql: `WITH moments(at) AS (VALUES ${moments.map(() => "(?)").join(", ")})
      SELECT m.at, count(v.id) AS live, count(*) FILTER (WHERE v.state = 'failed') AS failed,
        count(*) FILTER (WHERE v.state = 'degraded') AS degraded
      FROM moments m LEFT JOIN connection_versions v ON coalesce(v.valid_to, '~') > m.at AND v.valid_from <= m.at
        AND v.deleted_at IS NULL AND (? IS NULL OR v.source = ?)
      GROUP BY m.at`,
    args: [...moments, source, source]
  })).rows
  const byMoment = new Map(counted.map((row) => [String(row.at), row]))
  return days.map((day, i): InventoryDay => {
    const row = byMoment.get(moments[i]!)
    const known = since !== null && moments[i]! >= since && row !== undefined
    return {
      day,
      live: known ? Number(row.live) : null,
      failed: known ? Number(row.failed) : null,
      degraded: known ? Number(row.degraded) : null
    }
  })
}

const read_ = async (tx: Transaction, options: ReportOptions): Promise<Report> => {
  const source = options.source ?? null
  const since = new Date(options.now - options.days * 86_400_000).toISOString()
  /** Every statement binds `:source` (NULL for all sources) and `:since`. */
  const all = async (sql: string, args: Record<string, InValue> = {}) =>
    (await tx.execute({ sql, args: { source, ...args } })).rows
  const where = "(:source IS NULL OR source = :source)"
  const counts = async (column: string) =>
    (await all(
      `SELECT coalesce(${column}, 'none') AS value, count(*) AS n FROM live_connections WHERE ${where}
        GROUP BY 1 ORDER BY n DESC, value`
    )).map((row) => ({ value: String(row.value), count: Number(row.n) }))

  const sources = (await all(
    `SELECT source FROM (SELECT source FROM sync_runs UNION SELECT source FROM connections) WHERE ${where} ORDER BY source`
  )).map((row) => String(row.source))
  const totals = (await all(
    `SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS live,
        coalesce(sum(active) FILTER (WHERE deleted_at IS NULL), 0) AS active,
        count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted
      FROM connections WHERE ${where}`
  ))[0]
  const live = Number(totals?.live ?? 0)
  const active = Number(totals?.active ?? 0)

  const unhealthyTotal = Number((await all(`SELECT count(*) AS n FROM unhealthy_connections WHERE ${where}`))[0]?.n ?? 0)
  const unhealthyByState = (await all(
    `SELECT state AS value, count(*) AS n FROM unhealthy_connections WHERE ${where} GROUP BY 1 ORDER BY n DESC, value`
  )).map((row) => ({ value: String(row.value), count: Number(row.n) }))
  const unhealthy = (await all(
    `SELECT source, id, platform, environment, state, active, name, state_since, days_in_state
      FROM unhealthy_connections WHERE ${where}
      ORDER BY days_in_state IS NULL, days_in_state DESC, state_since, platform, id LIMIT :limit`,
    { limit: unhealthyLimit }
  )).map((row): UnhealthyConnection => ({
    source: String(row.source),
    id: String(row.id),
    platform: text(row.platform),
    environment: text(row.environment),
    state: String(row.state),
    active: Boolean(row.active),
    name: text(row.name),
    stateSince: text(row.state_since),
    daysInState: row.days_in_state === null ? null : Number(row.days_in_state)
  }))

  const stateRows = await all(
    `SELECT substr(observed_at, 1, 10) AS day,
        count(*) FILTER (WHERE new_state IN (${badStates.map((s) => `'${s}'`).join(", ")})) AS worse,
        count(*) FILTER (WHERE new_state IS NULL OR new_state NOT IN (${badStates.map((s) => `'${s}'`).join(", ")})) AS better
      FROM state_changes WHERE ${where} AND observed_at >= :since GROUP BY 1`,
    { since }
  )
  const byDay = new Map(stateRows.map((row) => [String(row.day), { worse: Number(row.worse), better: Number(row.better) }]))
  const perDay = daysBetween(Date.parse(since), options.now).map((day) => ({
    day,
    worse: byDay.get(day)?.worse ?? 0,
    better: byDay.get(day)?.better ?? 0
  }))

  const inventoryOverTime = await inventoryByDay(tx, source, daysBetween(Date.parse(since), options.now), options.now)

  const runTotals = (await all(
    `SELECT count(*) AS n, count(*) FILTER (WHERE status IN ('failed', 'interrupted')) AS failed FROM sync_runs WHERE ${where}`
  ))[0]
  const runs = (await all(
    `SELECT id, source, status, started_at, finished_at, rows_fetched, inserted, updated, deleted, restored, error
      FROM sync_runs WHERE ${where} ORDER BY id DESC LIMIT :limit`,
    { limit: runLimit }
  )).map((row): ReportRun => {
    const finishedAt = text(row.finished_at)
    const duration = finishedAt === null ? NaN : Date.parse(finishedAt) - Date.parse(String(row.started_at))
    return {
      id: Number(row.id),
      source: String(row.source),
      status: String(row.status),
      startedAt: String(row.started_at),
      finishedAt,
      durationMillis: Number.isFinite(duration) ? duration : null,
      rowsFetched: Number(row.rows_fetched),
      inserted: Number(row.inserted),
      updated: Number(row.updated),
      deleted: Number(row.deleted),
      restored: Number(row.restored),
      error: text(row.error)
    }
  })

  const byKind = (await all(
    `SELECT kind AS value, count(*) AS n FROM connection_changes WHERE ${where} AND observed_at >= :since
      GROUP BY 1 ORDER BY n DESC, value`,
    { since }
  )).map((row) => ({ value: String(row.value), count: Number(row.n) }))
  const recent = (await all(
    `SELECT observed_at, run_id, source, kind, connection_id, platform, name, changed_fields
      FROM recent_changes WHERE ${where} AND observed_at >= :since LIMIT :limit`,
    { since, limit: changeLimit }
  )).map((row): ReportChange => ({
    observedAt: String(row.observed_at),
    runId: Number(row.run_id),
    source: String(row.source),
    kind: String(row.kind),
    connectionId: String(row.connection_id),
    platform: text(row.platform),
    name: text(row.name),
    changedFields: parseFields(row.changed_fields)
  }))

  return {
    generatedAt: new Date(options.now).toISOString(),
    source,
    sources,
    days: options.days,
    since,
    live: { total: live, active, inactive: live - active, deleted: Number(totals?.deleted ?? 0) },
    byPlatform: await counts("platform"),
    byEnvironment: await counts("environment"),
    byState: await counts("state"),
    unhealthy: { total: unhealthyTotal, byState: unhealthyByState, connections: unhealthy },
    stateChanges: { total: perDay.reduce((sum, day) => sum + day.worse + day.better, 0), perDay },
    inventoryOverTime,
    runs: { total: Number(runTotals?.n ?? 0), failed: Number(runTotals?.failed ?? 0), recent: runs },
    changes: { total: byKind.reduce((sum, kind) => sum + kind.count, 0), byKind, recent }
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
