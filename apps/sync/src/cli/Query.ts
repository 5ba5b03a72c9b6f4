import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as Stream from "effect/Stream"
import { formats, renderer } from "../query/Format.js"
import * as Query from "../query/Query.js"
import { described, readerFlags, readerOptions } from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { moment } from "./Moment.js"
import * as StdoutStream from "./StdoutStream.js"
import { UsageError } from "./UsageError.js"

const formatFlag = Options.choice("format", formats).pipe(
  Options.withDefault("table"),
  described(undefined, "table (aligned, for a terminal), json (an array of objects), ndjson (one object a line) or csv (RFC 4180)", {
    default: "table"
  })
)

const options = {
  ...readerFlags,
  format: formatFlag,
  param: Options.keyValueMap("param").pipe(
    Options.optional,
    Options.withDescription("Bind a named parameter, e.g. --param platform=stripe for :platform; repeatable; numbers bind as numbers")
  ),
  asOf: Options.text("as-of").pipe(
    Options.optional,
    described(
      "TIME",
      "Answer as the mirror stood at TIME: connections, live_connections, connection_tags, connection_changes and the views " +
        "on them; an ISO 8601 instant (2026-11-30T09:00:00Z), a date (its first moment, UTC) or a duration ago (7d)"
    )
  ),
  file: Options.text("file").pipe(
    Options.optional,
    Options.withPseudoName("path"),
    Options.withDescription("Read the statement from this file, or from standard input with -")
  )
}

const sqlArg = Args.text({ name: "sql" }).pipe(
  Args.optional,
  Args.withDescription("One statement that reads: SELECT, WITH, VALUES, EXPLAIN or a read-only PRAGMA")
)

/** The statement from the argument or from `--file` (`-` is standard input), exactly one of them. */
const statementFrom = (sql: Option.Option<string>, file: Option.Option<string>) => {
  if (Option.isSome(sql) && Option.isSome(file)) {
    return Effect.fail(new UsageError({ message: "give the SQL as an argument or with --file, not both" }))
  }
  if (Option.isSome(sql)) return Effect.succeed(sql.value)
  if (Option.isNone(file)) {
    return Effect.fail(new UsageError({ message: "give one SQL statement, e.g. picasync query \"select count(*) from live_connections\"" }))
  }
  const path = file.value
  return Effect.try({
    try: () => fs.readFileSync(path === "-" ? 0 : path, "utf8"),
    catch: (cause) =>
      new UsageError({ message: `--file ${path} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}` })
  })
}

export const queryCommand = Command.make("query", { ...options, sql: sqlArg }, (parsed) =>
  Effect.gen(function*() {
    const sql = yield* statementFrom(parsed.sql, parsed.file)
    const params = Object.fromEntries(
      [...HashMap.toEntries(Option.getOrElse(parsed.param, () => HashMap.empty<string, string>()))].map((
        [name, value]
      ) => [name.replace(/^[:@$]/, ""), Query.bindValue(value)])
    )
    const asOf = yield* Effect.transposeMapOption(parsed.asOf, (value) => moment("--as-of", value))
    const database = yield* readerOptions(parsed)
    // Each batch of rows is written as it comes, so memory stays bounded and `| head` ends the statement.
    yield* Effect.scoped(Effect.gen(function*() {
      const rows = yield* Query.open(sql, params, { asOf: Option.getOrUndefined(asOf) })
      const output = renderer(rows.columns, parsed.format)
      yield* StdoutStream.write(Stream.concat(Stream.map(rows.batches, output.rows), Stream.sync(output.end)))
    })).pipe(Effect.provide(Mirror.readable(database)))
  })).pipe(
    Command.withDescription(
      "Run one read-only SQL statement against the mirror and print the rows (tables: picasync tables). " +
        "Writes are refused: by SQLite on a file or replica, by how the server compiles the statement on a libSQL server; " +
        "nothing is ever created or migrated."
    )
  )
