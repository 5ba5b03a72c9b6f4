import type { InValue } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type DatabaseFailure, MirrorDatabase } from "../db/MirrorDatabase.js"
import * as Versions from "../Versions.js"
import * as AsOf from "./AsOf.js"
import type { ResultTable, Row } from "./Format.js"
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

/** SQLite's own words, without what libSQL and a server put around them (`SQLITE_ERROR: `, `SQL input error: `, `(at offset 7)`). */
const sqliteReason = (reason: string) =>
  reason.replace(/^((SQLITE_[A-Z_]+|SQL_[A-Z_]+): )+/, "").replace(/^(SQLite error|SQL input error): /, "").replace(/ \(at offset \d+\)$/, "")

/** Codes of a statement SQLite or a server could not run, as opposed to a database that failed. */
const isSqlError = (code: string | undefined) =>
  code !== undefined && code !== "SQLITE_BUSY" && (code.startsWith("SQLITE_") || code === "SQL_INPUT_ERROR" || code === "SQL_PARSE_ERROR")

export interface Options {
  /** An ISO instant: answer as the mirror stood then. */
  readonly asOf?: string | undefined
}

/** The rows of a statement as they come, in batches, until the scope that opened them closes. */
export interface Rows {
  readonly columns: ReadonlyArray<string>
  readonly batches: Stream.Stream<ReadonlyArray<Row>, QueryError | DatabaseFailure>
}

/**
 * Opens one statement that only reads, with named parameters bound (never pasted into the SQL), and
 * hands out its rows as they come, so a result of any size streams in bounded memory; closing the
 * scope ends the statement. A statement that would write is refused before it runs: by its words,
 * then by SQLite on a file or replica (`PRAGMA query_only`), by how the server compiles it on a server.
 * With `asOf` (an ISO instant), the mirror's tables and views answer as they stood then (`AsOf.rewrite`).
 */
export const open = Effect.fn("Query.open")(function*(
  statement: string,
  params: Readonly<Record<string, InValue>> = {},
  options: Options = {}
) {
  yield* Either.mapLeft(checkReadOnly(statement), (reason) => new QueryError({ reason }))
  yield* Either.mapLeft(checkParameters(statement, params), (reason) => new QueryError({ reason, parameters: true }))
  const db = yield* MirrorDatabase
  const { asOf } = options
  if (asOf !== undefined) yield* Versions.checkAvailable(asOf)
  const sql = asOf === undefined ? statement : yield* AsOf.rewrite(statement, asOf)
  const sqlError = (error: DatabaseFailure) =>
    error._tag === "DatabaseError" && error.code === "SQLITE_READONLY"
      ? new QueryError({ reason: "the statement tries to write; picasync query only reads" })
      : error._tag === "DatabaseError" && isSqlError(error.code)
      ? new QueryError({ reason: `SQL error: ${sqliteReason(error.reason)}` })
      : error
  const cursor = yield* Effect.mapError(db.cursor(sql, params), sqlError)
  return { columns: cursor.columns, batches: Stream.mapError(cursor.batches, sqlError) } satisfies Rows
})

/** The first `keep` rows of a statement and how many it returned in all; the others are counted, not held. */
export const firstRows = Effect.fn("Query.firstRows")(
  function*(sql: string, params: Readonly<Record<string, InValue>> = {}, keep = Number.POSITIVE_INFINITY, options: Options = {}) {
    const { batches, columns } = yield* open(sql, params, options)
    const rows: Array<Row> = []
    let rowCount = 0
    yield* Stream.runForEach(batches, (batch) =>
      Effect.sync(() => {
        for (const row of batch) if (rows.length < keep) rows.push(row)
        rowCount += batch.length
      }))
    return { columns, rows, rowCount }
  },
  Effect.scoped
)

/** Runs one statement that only reads (see `open`) and returns all its rows. */
export const run = (sql: string, params: Readonly<Record<string, InValue>> = {}, options: Options = {}): Effect.Effect<
  ResultTable,
  QueryError | Versions.HistoryUnavailable | DatabaseFailure,
  MirrorDatabase
> => Effect.map(firstRows(sql, params, Number.POSITIVE_INFINITY, options), ({ columns, rows }) => ({ columns, rows }))
