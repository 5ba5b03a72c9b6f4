import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Diff from "../Diff.js"
import { isoNow } from "../Now.js"
import { formats, render, type ResultTable } from "../query/Format.js"
import { described, readerFlags, readerOptions, sourceFilter, sourceFilterFlag } from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { moment } from "./Moment.js"
import { write } from "./Output.js"
import { UsageError } from "./UsageError.js"

const time = "an ISO 8601 instant (2026-11-30T09:00:00Z), a date (its first moment, UTC) or a duration ago (7d)"

const options = {
  ...readerFlags,
  from: Options.text("from").pipe(described("TIME", `The earlier moment: ${time}`)),
  to: Options.text("to").pipe(Options.optional, described("TIME", `The later moment: ${time}`, { default: "now" })),
  source: sourceFilterFlag,
  format: Options.choice("format", formats).pipe(
    Options.withDefault("table"),
    described(undefined, "table, json (changes as an array of {field, before, after}), ndjson or csv", { default: "table" })
  )
}

const shown = (value: unknown) => (value === null ? "null" : JSON.stringify(value))

/** The differences as rows; the changes as JSON text (an array in JSON output) or as one readable line. */
const asTable = (differences: ReadonlyArray<Diff.Difference>, json: boolean): ResultTable => ({
  columns: ["kind", "source", "id", "key", "platform", "changes"],
  rows: differences.map((d) => [
    d.kind,
    d.source,
    d.id,
    d.key,
    d.platform,
    json
      ? JSON.stringify(d.changes)
      : d.changes.map((change) => `${change.field}: ${shown(change.before)} → ${shown(change.after)}`).join("; ")
  ])
})

export const diffCommand = Command.make("diff", options, (parsed) =>
  Effect.gen(function*() {
    const from = yield* moment("--from", parsed.from)
    const to = Option.isSome(parsed.to) ? yield* moment("--to", parsed.to.value) : yield* isoNow
    if (from > to) return yield* new UsageError({ message: `--from (${from}) is later than --to (${to})` })
    const source = yield* sourceFilter(parsed.source)
    const database = yield* readerOptions(parsed)
    const differences = yield* Effect.provide(Diff.between({ from, to, source }), Mirror.readable(database))
    const json = parsed.format === "json" || parsed.format === "ndjson"
    yield* write(render(asTable(differences, json), parsed.format))
  })).pipe(
    Command.withDescription(
      "One row per connection that differs between the mirror at --from and at --to, net of every step between: " +
        "inserted, deleted, updated or restored, with each changed field's value before and after"
    )
  )
