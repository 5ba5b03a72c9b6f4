import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Tables from "../Tables.js"
import { thousands } from "../Thousands.js"
import { readerFlags, readerOptions, textOrJsonFlag } from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { printTextOrJson } from "./Output.js"

const text = (tables: ReadonlyArray<Tables.TableInfo>) =>
  tables.map((table) =>
    [
      `${table.name} (${table.kind}${table.rows === undefined ? "" : `, ${thousands(table.rows)} rows`})${
        table.description === "" ? "" : `: ${table.description}`
      }`,
      `  ${table.columns.map((column) => (column.type === "" ? column.name : `${column.name} ${column.type.toLowerCase()}`)).join(", ")}`
    ].join("\n")
  ).join("\n\n") + "\n"

const options = {
  ...readerFlags,
  counts: Options.boolean("counts").pipe(Options.withDescription("Count the rows of each table and view")),
  format: textOrJsonFlag
}

export const tablesCommand = Command.make("tables", options, (parsed) =>
  Effect.gen(function*() {
    const database = yield* readerOptions(parsed)
    const tables = yield* Effect.provide(Tables.list({ counts: parsed.counts }), Mirror.readable(database))
    yield* printTextOrJson(parsed.format, tables, text)
  })).pipe(Command.withDescription("The mirror's tables and views with their columns (and row counts with --counts)"))
