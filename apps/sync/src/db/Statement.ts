import type { InValue, ResultSet } from "@libsql/client"
import { is, SQL } from "drizzle-orm"
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { DatabaseError } from "./DatabaseError.js"
import type { BatchStatement } from "./PreparedFile.js"

/**
 * One SQL statement, as the engine runs it: Drizzle's `sql` template (parameters bound, never pasted
 * in), or text and positional arguments built by hand where rendering a template would cost more than
 * running it (staging's 500-row inserts).
 */
export type Statement = SQL | BatchStatement

const dialect = new SQLiteAsyncDialect()

/** The statement as text and arguments, as libSQL takes it. */
export const render = (statement: Statement): { readonly sql: string; readonly args: Array<InValue> } => {
  if (!is(statement, SQL)) return statement as { sql: string; args: Array<InValue> }
  const query = dialect.sqlToQuery(statement)
  return { sql: query.sql, args: query.params as Array<InValue> }
}

/** What a span shows of a statement: its text, cut short (a 500-row insert is kilobytes of placeholders); never its arguments. */
export const spanAttributes = (sql: string) => ({ "db.system": "sqlite", "db.statement": sql.length > 300 ? `${sql.slice(0, 300)}…` : sql })

/** The rows of `result` as plain objects keyed by column name. */
export const objects = <Row>(result: ResultSet): ReadonlyArray<Row> =>
  result.rows.map((row) => {
    const object: Record<string, unknown> = {}
    result.columns.forEach((column, i) => (object[column] = row[i]))
    return object as Row
  })

/** Decodes a statement's rows with `schema`; rows of another shape are a `DatabaseError` of `operation`. */
export const decodeRows = <A, I>(operation: string, schema: Schema.Schema<A, I>) => (rows: ReadonlyArray<unknown>) =>
  Effect.mapError(
    Schema.decodeUnknown(schema)(rows),
    (error) => new DatabaseError({ operation, reason: `unexpected rows: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
  )
