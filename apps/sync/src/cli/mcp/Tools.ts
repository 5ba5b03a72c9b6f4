import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as Check from "../../Check.js"
import type { MirrorDatabase } from "../../db/MirrorDatabase.js"
import { render, type ResultTable } from "../../query/Format.js"
import * as Query from "../../query/Query.js"
import * as Status from "../../Status.js"
import * as Tables from "../../Tables.js"
import { interval } from "../Flags.js"
import { cap, type Limits } from "./ResultCap.js"

/** What the server's flags fix for every call. */
export interface Settings extends Limits {
  /** `--source`: status, check and connection look at this source alone. */
  readonly source: string | undefined
}

/** One tool: what an agent reads to plan, the input it must send, and the work, run where the mirror is open. */
interface Tool<I> {
  readonly name: string
  readonly description: string
  readonly input: Schema.Schema<I, any>
  readonly run: (input: I, settings: Settings) => Effect.Effect<unknown, unknown, MirrorDatabase>
}

const tool = <I>(definition: Tool<I>) => definition as unknown as Tool<unknown>

const Interval = (what: string) =>
  Schema.String.annotations({ description: `${what}: a number and a unit, s, m, h or d (30m, 6h, 7d)` })

/** Rows as `picasync query --format json` prints them: objects, with JSON text (tags, raw) as JSON. */
const objects = (result: ResultTable): Array<Record<string, unknown>> => JSON.parse(render(result, "json"))

const Param = Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null)

const query = tool({
  name: "query",
  description: "Run one read-only SQLite statement (SELECT, WITH, VALUES, EXPLAIN or a read-only PRAGMA) against the mirror " +
    "and get the rows as JSON objects with their column names. Call `tables` first for the tables, views and columns. " +
    "Statements that write (INSERT, UPDATE, DELETE, DDL, a writing CTE, PRAGMA with =) are refused. Bind values with " +
    "named parameters (:platform in the SQL, {\"platform\": \"slack\"} in params), never by pasting them into the SQL. " +
    "Large results are cut (the answer says where and how many rows there were): aggregate or page with LIMIT/OFFSET. " +
    "A statement that runs too long is stopped. The mirror keeps the current inventory and the change log " +
    "(connection_changes), not past snapshots: there is no as_of.",
  input: Schema.Struct({
    sql: Schema.String.annotations({ description: "One SQLite statement that only reads" }),
    params: Schema.optional(
      Schema.Record({ key: Schema.String, value: Param }).annotations({
        description: "Values of the named parameters the SQL uses (:name, @name or $name), by name without the prefix"
      })
    )
  }),
  run: ({ params, sql }, settings) =>
    Effect.scoped(Effect.flatMap(
      Query.open(sql, Object.fromEntries(Object.entries(params ?? {}).map(([name, value]) => [name.replace(/^[:@$]/, ""), value]))),
      (rows) => cap(rows, settings)
    ))
})

const tables = tool({
  name: "tables",
  description: "The mirror's tables and views, each with its columns (name and SQLite type) and one line on what it holds. " +
    "Prefer the views: live_connections (not tombstoned), unhealthy_connections, connections_by_platform, tag_usage, " +
    "recent_changes, state_changes.",
  input: Schema.Struct({
    counts: Schema.optional(Schema.Boolean.annotations({ description: "Also count the rows of each table and view (slower)" }))
  }),
  run: ({ counts }) => Tables.list({ counts: counts ?? false })
})

const status = tool({
  name: "status",
  description: "Per source (live, test, …): the last successful and failed sync runs with their counts, the connections " +
    "live, active, inactive and deleted, counts by environment, state and top platforms, and `stale` when the newest " +
    "successful sync is older than max_age: what `picasync status --format json` prints.",
  input: Schema.Struct({ max_age: Schema.optional(Interval("Call the mirror stale past this age; default 24h")) }),
  run: ({ max_age }, settings) =>
    Effect.gen(function*() {
      const staleAfter = yield* interval("max_age", max_age ?? "24h")
      const now = yield* Clock.currentTimeMillis
      const statuses = yield* Status.read({ now, staleAfterMillis: Duration.toMillis(staleAfter) })
      return settings.source === undefined ? statuses : statuses.filter((s) => s.source === settings.source)
    })
})

const check = tool({
  name: "check",
  description: "The built-in health checks of `picasync check`, four a source, each with ok and a one-line detail: " +
    "last-success-age (the newest successful sync is younger than max_age), last-run (the last run did not fail), " +
    "max-failing (at most max_failing live, active connections in state failed), failing-for (no live connection " +
    "degraded, failed or unknown for longer than failing_for).",
  input: Schema.Struct({
    max_age: Schema.optional(Interval("Default 24h")),
    max_failing: Schema.optional(Schema.NonNegativeInt.annotations({ description: "Default 0" })),
    failing_for: Schema.optional(Interval("Default 7d"))
  }),
  run: (input, settings) =>
    Effect.gen(function*() {
      const maxAge = yield* interval("max_age", input.max_age ?? "24h")
      const failingFor = yield* interval("failing_for", input.failing_for ?? "7d")
      const checks = yield* Check.builtIn({
        now: yield* Clock.currentTimeMillis,
        source: settings.source,
        maxAgeMillis: Duration.toMillis(maxAge),
        maxFailing: input.max_failing ?? 0,
        failingForMillis: Duration.toMillis(failingFor)
      })
      return { ok: checks.every((c) => c.ok), checks }
    })
})

/** Changes shown with a connection, newest first. */
const RECENT_CHANGES = 20

/** The sources to look in: the server's `--source`, or all. */
const sourceFilter = (settings: Settings) => settings.source === undefined ? "" : " AND source = :source"
const sourceParam = (settings: Settings) => settings.source === undefined ? {} : { source: settings.source }

const connection = tool({
  name: "connection",
  description: "One connection as mirrored, found by its id or its key, in every source that holds it (tombstoned rows " +
    `included: deleted_at is set), each with every column and its ${RECENT_CHANGES} most recent changes from ` +
    "connection_changes (kind, changed_fields with old and new values, observed_at), newest first.",
  input: Schema.Struct({ id_or_key: Schema.NonEmptyTrimmedString.annotations({ description: "The connection's id or key" }) }),
  run: ({ id_or_key }, settings) =>
    Effect.gen(function*() {
      const found = objects(
        yield* Query.run(
          `SELECT * FROM connections WHERE (id = :value OR key = :value)${sourceFilter(settings)} ORDER BY source`,
          { value: id_or_key, ...sourceParam(settings) }
        )
      )
      if (found.length === 0) {
        return yield* new Query.QueryError({
          reason: `no connection has the id or key "${id_or_key}"${
            settings.source === undefined ? "" : ` in source ${settings.source}`
          }; find one with the query tool (live_connections)`
        })
      }
      return yield* Effect.forEach(found, (row) =>
        Effect.map(
          Query.run(
            `SELECT id, run_id, kind, changed_fields, observed_at FROM connection_changes
             WHERE source = :source AND connection_id = :id ORDER BY id DESC LIMIT ${RECENT_CHANGES}`,
            { source: String(row.source), id: String(row.id) }
          ),
          (changes) => ({ ...row, recent_changes: objects(changes) })
        ))
    })
})

export const tools: ReadonlyArray<Tool<unknown>> = [query, tables, status, check, connection]

/** The tools as `tools/list` gives them: JSON Schemas of their inputs, all read-only. */
export const listing = tools.map(({ description, input, name }) => {
  const { $schema: _, ...inputSchema } = JSONSchema.make(input) as JSONSchema.JsonSchema7Root & { readonly type: "object" }
  return {
    name,
    description,
    inputSchema,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
  }
})

/** What the server tells an agent about the mirror before it calls anything (MCP `instructions`). */
export const instructions =
  "picasync mirrors the Pica connection inventory into a SQLite (libSQL) database, read here without any change. " +
  "A source is one inventory mirrored into the same tables (live, test, or a name the operator chose): filter on source " +
  "when you compare. A connection that disappeared from Pica is kept as a tombstone (deleted_at set), so the views are " +
  "usually what you want: live_connections (not tombstoned), unhealthy_connections, connections_by_platform, tag_usage, " +
  "recent_changes and state_changes. Every change a sync saw is in connection_changes; each sync run is in sync_runs. " +
  "Start with tables (the schema), then status (how fresh the mirror is), then query with SQL."
