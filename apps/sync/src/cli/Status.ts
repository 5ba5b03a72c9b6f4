import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Status from "../Status.js"
import { thousands } from "../Thousands.js"
import { asInterval, deprecatedHelp, maxAgeFlag, preferringOld, readerFlags, readerOptions, textOrJsonFlag } from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { notes, printTextOrJson } from "./Output.js"

const counts = (items: ReadonlyArray<Status.Count>) =>
  items.length === 0 ? "none" : items.map((item) => `${item.value} ${thousands(item.connections)}`).join(" · ")

const runLine = (run: Status.RunSummary | null, now: number) => {
  if (run === null) return "never"
  const at = run.finishedAt ?? run.startedAt
  const when = `run ${run.id}, ${Status.age(now - Date.parse(at))} ago (${at})`
  return run.status === "succeeded"
    ? `${when}: ${thousands(run.rowsFetched)} rows; ${thousands(run.inserted)} inserted, ${thousands(run.updated)} updated, ${thousands(run.unchanged)} unchanged, ${thousands(run.deleted)} deleted, ${thousands(run.restored)} restored${
      run.driftDetected ? "; drift seen" : ""
    }${notes(run)}`
    : `${when}, ${run.status}: ${run.error ?? "no message"}`
}

/** One block a source, as an operator reads it at 3 a.m.; warnings last. */
const text = (statuses: ReadonlyArray<Status.SourceStatus>, now: number) => {
  if (statuses.length === 0) return "the mirror is empty: no sync has run yet\n"
  const blocks = statuses.map((s) =>
    [
      `source ${s.source}`,
      `  last success   ${runLine(s.lastSuccess, now)}`,
      `  last failure   ${runLine(s.lastFailure, now)}`,
      `  connections    ${thousands(s.live)} live (${thousands(s.active)} active, ${
        thousands(s.inactive)
      } inactive), ${thousands(s.deleted)} deleted`,
      `  environments   ${counts(s.byEnvironment)}`,
      `  states         ${counts(s.byState)}`,
      `  top platforms  ${counts(s.topPlatforms)}`
    ].join("\n")
  )
  const warnings = statuses.flatMap((s) => (s.stale === null ? [] : [`warning: ${s.stale}`]))
  return [...blocks, ...warnings].join("\n\n") + "\n"
}

const options = {
  ...readerFlags,
  format: textOrJsonFlag,
  maxAge: maxAgeFlag("Warn when a source's newest successful sync is older than this"),
  staleAfter: Options.text("stale-after").pipe(
    asInterval("--stale-after"),
    Options.optional,
    Options.withDescription(deprecatedHelp("--max-age"))
  )
}

export const statusCommand = Command.make("status", options, (parsed) =>
  Effect.gen(function*() {
    const staleAfter = yield* Effect.flatten(preferringOld(parsed.staleAfter, "--stale-after", "--max-age", parsed.maxAge))
    const database = yield* readerOptions(parsed)
    const now = yield* Clock.currentTimeMillis
    const statuses = yield* Effect.provide(
      Status.read({ now, staleAfterMillis: Duration.toMillis(staleAfter) }),
      Mirror.readable(database)
    )
    yield* printTextOrJson(parsed.format, statuses, (all) => text(all, now))
  })).pipe(
    Command.withDescription(
      "Per source: the last successful and failed runs, connection counts by environment, state and platform, " +
        "and a warning when the mirror is stale"
    )
  )
