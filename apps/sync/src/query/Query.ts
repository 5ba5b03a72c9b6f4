import type { InValue } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { MirrorDatabase } from "../db/MirrorDatabase.js"
import type { Cell, ResultTable } from "./Format.js"
import { checkReadOnly, parameters } from "./Statement.js"

/** A statement refused before it ran, or that SQLite could not run: exit 1 with this line. */
export class QueryError extends Schema.TaggedError<QueryError>()("QueryError", {
  reason: Schema.String,
  /** Set when the parameters given do not match those the SQL names. */
  parameters: Schema.optional(Schema.Boolean)
}) {
  override get message() {
    return this.reason
  }
}

/** Parameter values given as text: whole and decimal numbers bind as numbers (columns with TEXT affinity still compare as text). */
export const bindValue = (value: string): InValue =>
  /^-?\d{1,15}$/.test(value) || /^-?\d+\.\d+$/.test(value) ? Number(value) : value

/** Every named parameter the SQL uses must be given, and every one given must be used. */
const checkParameters = (sql: string, params: Readonly<Record<string, InValue>>) => {
  const used = parameters(sql)
  if (used.unnamed) return Either.left("use named parameters (:name), not ?")
  const missing = [...used.named].filter((name) => !(name in params))
  if (missing.length > 0) return Either.left(`the SQL uses :${missing[0]} but no value was given for it`)
  const unused = Object.keys(params).filter((name) => !used.named.has(name))
  if (unused.length > 0) return Either.left(`a value was given for :${unused[0]} but the SQL does not use it`)
  return Either.right(sql)
}

/** SQLite's own words, without the `SQLITE_ERROR: ` prefix libSQL adds. */
const sqliteReason = (reason: string) => reason.replace(/^SQLITE_[A-Z_]+: /, "")

/**
 * Runs one statement that only reads, with named parameters bound (never pasted into the SQL).
 * A statement that would write is refused before it runs, and SQLite refuses it again if it gets through.
 */
export const run = Effect.fn("Query.run")(function*(sql: string, params: Readonly<Record<string, InValue>> = {}) {
  yield* Either.mapLeft(checkReadOnly(sql), (reason) => new QueryError({ reason }))
  yield* Either.mapLeft(checkParameters(sql, params), (reason) => new QueryError({ reason, parameters: true }))
  const db = yield* MirrorDatabase
  const result = yield* db.readOnly("query", (tx) => tx.execute({ sql, args: { ...params } })).pipe(
    Effect.mapError((error) =>
      error.code === "SQLITE_READONLY"
        ? new QueryError({ reason: "the statement tries to write; picasync query only reads" })
        : error.code?.startsWith("SQLITE_") && error.code !== "SQLITE_BUSY"
        ? new QueryError({ reason: `SQL error: ${sqliteReason(error.reason)}` })
        : error
    )
  )
  return {
    columns: result.columns,
    rows: result.rows.map((row) => result.columns.map((_, i) => (row[i] ?? null) as Cell))
  } satisfies ResultTable
})
