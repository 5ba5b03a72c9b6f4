import type { InStatement, Transaction } from "@libsql/client"
import { getTableColumns } from "drizzle-orm"
import * as Schema from "effect/Schema"
import { type RunStatus, syncRuns } from "./db/schema.js"
import { SyncRun } from "./SyncRun.js"

/**
 * What `status`, `check` and `report` read alike, inside the read-only transaction each opens: the
 * sources, the live inventory, the last runs, the unhealthy count. Every row is decoded with Schema; a
 * row that does not fit throws, which fails the read.
 */

/** Runs one statement and decodes its rows. */
export const rows = async <A, I>(tx: Transaction, schema: Schema.Schema<A, I>, statement: InStatement): Promise<Array<A>> =>
  [...Schema.decodeUnknownSync(Schema.Array(schema))((await tx.execute(statement)).rows)]

/** SQLite's 0 or 1 as a boolean. */
export const BooleanFromInt = Schema.transform(Schema.Number, Schema.Boolean, {
  strict: true,
  decode: (value) => value !== 0,
  encode: (value) => (value ? 1 : 0)
})

/** A value (platform, environment, state, kind of change) and how many connections, or changes, have it; `none` stands for NULL. */
export const Count = Schema.Struct({ value: Schema.String, connections: Schema.Number })
export type Count = typeof Count.Type

const runFields = { ...SyncRun.fields, driftDetected: BooleanFromInt }

const summaryKeys = [
  "id",
  "status",
  "startedAt",
  "finishedAt",
  "rowsFetched",
  "inserted",
  "updated",
  "unchanged",
  "deleted",
  "restored",
  "driftDetected",
  "rowsUnreadable",
  "rowsUnlisted",
  "idsUnconfirmed",
  "error"
] as const

/** A run as the read commands show it: its `SyncRun` without the paging counters, in the order `status --format json` prints. */
export const RunSummary = Schema.Struct(runFields).pick(...summaryKeys)
export type RunSummary = typeof RunSummary.Type

/** A run with the source it synced, for a list that spans sources. */
export const SourcedRun = Schema.Struct(runFields).pick("source", ...summaryKeys)
export type SourcedRun = typeof SourcedRun.Type

/** `id, status, started_at AS "startedAt", …`: the columns of `sync_runs` under their `SyncRun` names. */
const runColumns = (keys: ReadonlyArray<keyof typeof runFields>) => {
  const columns = getTableColumns(syncRuns)
  return keys.map((key) => `${columns[key].name} AS "${key}"`).join(", ")
}

const summaryColumns = runColumns(summaryKeys)
const sourcedColumns = runColumns(["source", ...summaryKeys])

/** `WHERE source = ?` and its argument, or nothing for every source. */
const ofSource = (source: string | null, joined: "WHERE" | "AND" = "WHERE") =>
  source === null ? { where: "", args: [] } : { where: `${joined} source = ?`, args: [source] }

/** The newest run of `source` in one of `statuses`, or null. */
export const latestRun = async (tx: Transaction, source: string, statuses: ReadonlyArray<RunStatus>): Promise<RunSummary | null> => {
  const [run] = await rows(tx, RunSummary, {
    sql: `SELECT ${summaryColumns} FROM sync_runs WHERE source = ? AND status IN (${statuses.map(() => "?").join(", ")})
      ORDER BY id DESC LIMIT 1`,
    args: [source, ...statuses]
  })
  return run ?? null
}

/** The newest `limit` runs of `source` (null: every source), newest first. */
export const recentRuns = (tx: Transaction, source: string | null, limit: number): Promise<Array<SourcedRun>> => {
  const filter = ofSource(source)
  return rows(tx, SourcedRun, {
    sql: `SELECT ${sourcedColumns} FROM sync_runs ${filter.where} ORDER BY id DESC LIMIT ?`,
    args: [...filter.args, limit]
  })
}

const Source = Schema.Struct({ source: Schema.String })

/**
 * Every source the mirror knows, from its runs or its rows, in order. The rows' sources are read by
 * skipping from one to the next in the primary key, not by scanning every row.
 */
export const sources = async (tx: Transaction): Promise<Array<string>> =>
  (await rows(
    tx,
    Source,
    `WITH RECURSIVE skip(source) AS (
      SELECT min(source) FROM connections
      UNION ALL SELECT (SELECT min(source) FROM connections WHERE source > skip.source) FROM skip WHERE skip.source IS NOT NULL
    )
    SELECT source FROM skip WHERE source IS NOT NULL UNION SELECT source FROM sync_runs ORDER BY source`
  )).map((row) => row.source)

/** The live connections of some sources, counted. */
export interface Inventory {
  readonly live: number
  readonly active: number
  readonly inactive: number
  /** Tombstoned. */
  readonly deleted: number
  /** Each ordered by count, the most first, then by value. */
  readonly byEnvironment: ReadonlyArray<Count>
  /** `none` counts older rows the API sent without a state. */
  readonly byState: ReadonlyArray<Count>
  readonly byPlatform: ReadonlyArray<Count>
}

const Group = Schema.Struct({
  state: Schema.NullOr(Schema.String),
  active: BooleanFromInt,
  environment: Schema.NullOr(Schema.String),
  platform: Schema.NullOr(Schema.String),
  connections: Schema.Number
})
type Group = typeof Group.Type

const Total = Schema.Struct({ n: Schema.Number })

/** Text in SQLite's BINARY order (UTF-8 bytes), as `ORDER BY value` sorts it. */
const binary = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

const countBy = (groups: ReadonlyArray<Group>, key: (group: Group) => string | null): Array<Count> => {
  const totals = new Map<string, number>()
  for (const group of groups) {
    const value = key(group) ?? "none"
    totals.set(value, (totals.get(value) ?? 0) + group.connections)
  }
  return [...totals].map(([value, connections]) => ({ value, connections }))
    .sort((a, b) => b.connections - a.connections || binary(a.value, b.value))
}

/**
 * Counts the live connections of `sources` by state, environment and platform: one pass over an index a
 * source, whose order is the grouping's, so nothing is sorted.
 */
export const inventory = async (tx: Transaction, sources: ReadonlyArray<string>): Promise<Inventory> => {
  const groups: Array<Group> = []
  let deleted = 0
  for (const source of sources) {
    groups.push(
      ...await rows(tx, Group, {
        sql: `SELECT state, active, environment, platform, count(*) AS connections FROM connections
          WHERE source = ? AND deleted_at IS NULL GROUP BY state, active, environment, platform`,
        args: [source]
      })
    )
    const [tombstoned] = await rows(tx, Total, {
      sql: "SELECT count(*) AS n FROM connections WHERE source = ? AND deleted_at IS NOT NULL",
      args: [source]
    })
    deleted += tombstoned?.n ?? 0
  }
  const live = groups.reduce((sum, group) => sum + group.connections, 0)
  const active = groups.reduce((sum, group) => sum + (group.active ? group.connections : 0), 0)
  return {
    live,
    active,
    inactive: live - active,
    deleted,
    byEnvironment: countBy(groups, (group) => group.environment),
    byState: countBy(groups, (group) => group.state),
    byPlatform: countBy(groups, (group) => group.platform)
  }
}

/** How many live connections of `source` (null: every source) are degraded, failed or unknown. */
export const unhealthyCount = async (tx: Transaction, source: string | null): Promise<number> => {
  const filter = ofSource(source)
  const [total] = await rows(tx, Total, { sql: `SELECT count(*) AS n FROM unhealthy_connections ${filter.where}`, args: filter.args })
  return total?.n ?? 0
}
