import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Prune from "../Prune.js"
import { thousands } from "../Thousands.js"
import { databaseFlags, databaseOptions, described, sourceFilter, sourceFilterFlag } from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { ago } from "./Moment.js"

/** `--keep` of `prune` and `sync`: how much history to keep. */
export const keepFlag = (what: string) => Options.text("keep").pipe(described("duration", what))

/** The cutoff `--keep` names: that long before now. */
export const cutoff = (keep: string) => ago("--keep", keep)

/** `pruned 3 runs, 120 changes, … older than 2026-11-05T10:00:00.000Z` */
export const prunedLine = (pruned: Prune.Pruned, before: string, dryRun: boolean) =>
  `${dryRun ? "would remove" : "removed"} ${thousands(pruned.runs)} runs, ${thousands(pruned.changes)} changes, ${
    thousands(pruned.versions)
  } closed versions, ${thousands(pruned.notifications)} delivered notifications and ${
    thousands(pruned.unreadableRows)
  } unreadable-row records older than ${before}`

/** `sync --keep`: the source's history older than `keep` pruned, logged in a line; the freed pages stay for later runs to reuse. */
export const pruneAfterRun = (keep: string, source: string) =>
  Effect.gen(function*() {
    const before = yield* cutoff(keep)
    const pruned = yield* Prune.run({ cutoff: before, source })
    yield* Effect.logInfo(prunedLine(pruned, before, false))
  })

const options = {
  ...databaseFlags,
  keep: keepFlag("Keep the history of this long (30d, 12h): runs, changes, versions and notifications older than it go"),
  source: sourceFilterFlag,
  dryRun: Options.boolean("dry-run").pipe(described(undefined, "Print what would be removed, and remove nothing"))
}

export const pruneCommand = Command.make("prune", options, (parsed) =>
  Effect.gen(function*() {
    const before = yield* cutoff(parsed.keep)
    const source = yield* sourceFilter(parsed.source)
    const database = yield* databaseOptions(parsed)
    yield* Effect.gen(function*() {
      const pruned = yield* Prune.run({ cutoff: before, source, dryRun: parsed.dryRun })
      yield* Console.log(prunedLine(pruned, before, parsed.dryRun))
      if (!parsed.dryRun && database.url.startsWith("file:")) yield* Prune.vacuum()
    }).pipe(Effect.provide(Mirror.writable(database)))
  })).pipe(
    Command.withDescription(
      "Removes history older than --keep in one transaction: runs, changes, closed versions, delivered notifications and " +
        "unreadable-row records; never the present (the mirror's rows, which are the open versions, undelivered notifications, the newest " +
        "run of each source). Then gives the space back on a local file. --as-of before the cutoff is refused after it"
    )
  )
