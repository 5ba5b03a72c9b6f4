import type { Transaction } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { runStatuses } from "./db/schema.js"
import type { Cell } from "./query/Format.js"
import * as Query from "./query/Query.js"
import * as ReadModel from "./ReadModel.js"
import { age } from "./Status.js"

/** One named check with its verdict and a one-line reason. `source` is absent for checks that span the mirror. */
export interface CheckResult {
  readonly name: string
  readonly source?: string
  readonly ok: boolean
  readonly detail: string
}

export interface CheckOptions {
  readonly now: number
  /** Only this source; every source of the mirror when absent. */
  readonly source?: string | undefined
  /** The newest successful run must be younger than this. */
  readonly maxAgeMillis: number
  /** At most this many live, active connections may be in state `failed`. */
  readonly maxFailing: number
  /** No live connection may have been degraded, failed or unknown for longer than this. */
  readonly failingForMillis: number
}

/** Some checks failed: exit 1, after the report of every check. */
export class ChecksFailed extends Schema.TaggedError<ChecksFailed>()("ChecksFailed", {
  failed: Schema.Number,
  total: Schema.Number
}) {
  override get message() {
    return `${this.failed} of ${this.total} checks failed`
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** How many offenders `failing-for` names before "and N more". */
const namedOffenders = 5

const lastSuccessAge = async (tx: Transaction, source: string, options: CheckOptions): Promise<CheckResult> => {
  const run = await ReadModel.latestRun(tx, source, ["succeeded"])
  const limit = `max ${age(options.maxAgeMillis)}`
  if (run === null) return { name: "last-success-age", source, ok: false, detail: `never synced successfully (${limit})` }
  const at = run.finishedAt ?? run.startedAt
  const millis = options.now - Date.parse(at)
  return {
    name: "last-success-age",
    source,
    ok: millis <= options.maxAgeMillis,
    detail: `last success ${age(millis)} ago, run ${run.id} at ${at} (${limit})`
  }
}

const lastRun = async (tx: Transaction, source: string, options: CheckOptions): Promise<CheckResult> => {
  const run = await ReadModel.latestRun(tx, source, runStatuses)
  if (run === null) return { name: "last-run", source, ok: true, detail: "no run recorded" }
  const at = run.finishedAt ?? run.startedAt
  const failed = run.status === "failed" || run.status === "interrupted"
  return {
    name: "last-run",
    source,
    ok: !failed,
    detail: `run ${run.id} ${run.status} ${age(options.now - Date.parse(at))} ago${
      failed ? `: ${(run.error ?? "no message").split("\n")[0]}` : ""
    }`
  }
}

const Total = Schema.Struct({ n: Schema.Number })

const maxFailing = async (tx: Transaction, source: string, options: CheckOptions): Promise<CheckResult> => {
  const [row] = await ReadModel.rows(tx, Total, {
    sql: "SELECT count(*) AS n FROM live_connections WHERE source = ? AND active = 1 AND state = 'failed'",
    args: [source]
  })
  const failing = row?.n ?? 0
  return {
    name: "max-failing",
    source,
    ok: failing <= options.maxFailing,
    detail: `${plural(failing, "active connection")} in state failed (at most ${options.maxFailing} allowed)`
  }
}

const Offender = Schema.Struct({
  id: Schema.String,
  platform: Schema.NullOr(Schema.String),
  state: Schema.String,
  since: Schema.String
})

/** A connection without a recorded change of state counts from when it was first seen. */
const failingFor = async (tx: Transaction, source: string, options: CheckOptions): Promise<CheckResult> => {
  const cutoff = new Date(options.now - options.failingForMillis).toISOString()
  const offenders = await ReadModel.rows(tx, Offender, {
    sql: `SELECT id, platform, state, since FROM (
        SELECT u.id, u.platform, u.state,
          coalesce(u.state_since, (SELECT c.first_seen_at FROM connections c WHERE c.source = u.source AND c.id = u.id)) AS since
        FROM unhealthy_connections u WHERE u.source = ?
      ) WHERE julianday(since) < julianday(?)
      ORDER BY since, id`,
    args: [source, cutoff]
  })
  const limit = `more than ${age(options.failingForMillis)}`
  if (offenders.length === 0) {
    return {
      name: "failing-for",
      source,
      ok: true,
      detail: `no connection unhealthy for ${limit} (${plural(await ReadModel.unhealthyCount(tx, source), "unhealthy connection")} now)`
    }
  }
  const named = offenders.slice(0, namedOffenders).map((row) =>
    `${row.id} (${row.platform}, ${row.state} for ${age(options.now - Date.parse(row.since))})`
  )
  const more = offenders.length > namedOffenders ? `, and ${offenders.length - namedOffenders} more` : ""
  return {
    name: "failing-for",
    source,
    ok: false,
    detail: `${plural(offenders.length, "connection")} unhealthy for ${limit}: ${named.join(", ")}${more}`
  }
}

/**
 * The built-in checks, four a source, read in one read-only transaction: the newest successful run is
 * recent enough, the last run did not fail, few enough active connections failed, none unhealthy too long.
 * A mirror without any source fails one check: nothing ever synced into it.
 */
export const builtIn = Effect.fn("Check.builtIn")(function*(options: CheckOptions) {
  const db = yield* MirrorDatabase
  return yield* db.readOnly("check", async (tx) => {
    const sources = options.source === undefined ? await ReadModel.sources(tx) : [options.source]
    if (sources.length === 0) {
      return [{ name: "last-success-age", ok: false, detail: "the mirror holds no source: nothing has synced into it" }]
    }
    const results: Array<CheckResult> = []
    for (const source of sources) {
      for (const check of [lastSuccessAge, lastRun, maxFailing, failingFor]) results.push(await check(tx, source, options))
    }
    return results
  })
})

/** Rows an assertion shows in its detail before "…". */
const shownRows = 3
const maxCell = 60

const cellValue = (cell: Cell): unknown => {
  if (cell === null || typeof cell === "number" || typeof cell === "boolean") return cell
  if (typeof cell === "bigint") return cell.toString()
  if (cell instanceof ArrayBuffer || cell instanceof Uint8Array) return `<${cell.byteLength} bytes>`
  return cell.length > maxCell ? `${cell.slice(0, maxCell - 1)}…` : cell
}

/** `{"id":"a1","platform":"stripe"}`: one line, whatever the cells hold. */
const compactRow = (columns: ReadonlyArray<string>, row: ReadonlyArray<Cell>) =>
  JSON.stringify(Object.fromEntries(columns.map((column, i) => [column, cellValue(row[i] ?? null)])))

/**
 * A user's assertion: one read-only statement, every row it returns a violation. SQL that is refused or
 * that SQLite cannot run fails the check with the reason; a database that cannot be read fails the effect.
 */
export const assertion = Effect.fn("Check.assertion")(function*(name: string, sql: string) {
  return yield* Query.firstRows(sql, {}, shownRows).pipe(
    Effect.map(({ columns, rowCount, rows }): CheckResult =>
      rowCount === 0 ? { name, ok: true, detail: "no rows" } : {
        name,
        ok: false,
        detail: `${plural(rowCount, "row")}: ${rows.map((row) => compactRow(columns, row)).join(" ")}${
          rowCount > shownRows ? " …" : ""
        }`
      }
    ),
    Effect.catchTag("QueryError", (error) => Effect.succeed<CheckResult>({ name, ok: false, detail: error.reason }))
  )
})

/** Every check's verdict, or `ChecksFailed` naming how many failed. */
export const verdict = (results: ReadonlyArray<CheckResult>) => {
  const failed = results.filter((result) => !result.ok).length
  return failed === 0 ? Effect.void : Effect.fail(new ChecksFailed({ failed, total: results.length }))
}
