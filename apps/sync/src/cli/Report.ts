import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { randomBytes } from "node:crypto"
import { rename, rm, writeFile } from "node:fs/promises"
import { basename, dirname, join, resolve } from "node:path"
import * as DiskSpace from "../DiskSpace.js"
import * as Report from "../Report.js"
import { render } from "../ReportHtml.js"
import { described, readerFlags, readerOptions, sourceFilter, sourceFilterFlag, wholeNumberFlag } from "./Flags.js"
import * as Mirror from "./Mirror.js"
import { UsageError } from "./UsageError.js"

/** The report file could not be written: exit 1. */
export class ReportWriteError extends Schema.TaggedError<ReportWriteError>()("ReportWriteError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `could not write the report to ${this.path}: ${this.reason} (--out)`
  }
}

/** Writes beside the target, then renames over it: a reader sees the old file or the whole new one. */
const writeAtomically = (path: string, content: string) =>
  Effect.tryPromise({
    try: async () => {
      const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`)
      try {
        await writeFile(temp, content, { encoding: "utf8", mode: 0o644 })
        await rename(temp, path)
      } catch (error) {
        await rm(temp, { force: true })
        throw error
      }
    },
    catch: (error) => new ReportWriteError({ path, reason: DiskSpace.writeFailure(path, error) })
  })

const options = {
  ...readerFlags,
  source: sourceFilterFlag,
  days: wholeNumberFlag("days", {
    default: 30,
    range: { min: 1, max: 3650 },
    text: "How many days back the state changes and the change log go"
  }),
  out: Options.text("out").pipe(
    Options.withDefault("picasync-report.html"),
    described("path", "The HTML file to write, replaced atomically: a temp file beside it, then a rename", { default: "picasync-report.html" })
  )
}

export const reportCommand = Command.make("report", options, (parsed) =>
  Effect.gen(function*() {
    const days = yield* parsed.days
    if (parsed.out.trim() === "") return yield* new UsageError({ message: "--out is empty" })
    const source = yield* sourceFilter(parsed.source)
    const database = yield* readerOptions(parsed)
    const now = yield* Clock.currentTimeMillis
    const report = yield* Effect.provide(
      Report.read({ now, days, source }),
      Mirror.readable(database)
    )
    const path = resolve(parsed.out)
    yield* writeAtomically(path, render(report))
    yield* Console.log(`report written to ${path}`)
  })).pipe(
    Command.withDescription(
      "Writes one self-contained HTML file (no script, loads nothing from the network) describing the mirror: " +
        "the inventory by platform, environment and state, the unhealthy connections, state changes per day, " +
        "the last runs and what changed in the last --days days"
    )
  )
