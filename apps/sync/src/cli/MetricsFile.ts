import * as Options from "@effect/cli/Options"
import { Retry } from "@picasync/client"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as DiskSpace from "../DiskSpace.js"
import * as PicaSync from "../PicaSync.js"
import type { SyncRun } from "../SyncRun.js"
import { described } from "./Flags.js"
import { UsageError } from "./UsageError.js"

const flagName = "--metrics-file (or PICASYNC_METRICS_FILE)"

export const flag = Options.file("metrics-file").pipe(
  Options.withFallbackConfig(Config.string("PICASYNC_METRICS_FILE")),
  Options.optional,
  described(
    "path",
    "After each run, write its figures to this file in the Prometheus text format, " +
      "atomically, for node_exporter's textfile collector: name it *.prom, one file per source",
    { env: "PICASYNC_METRICS_FILE" }
  )
)

/** The metrics file could not be written; the sync itself is not failed for it. */
export class MetricsFileError extends Schema.TaggedError<MetricsFileError>()("MetricsFileError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `could not write the metrics file ${this.path}: ${this.reason}`
  }
}

/** What keeps `target` from being written, if anything. */
const problem = (target: string): string | undefined => {
  const dir = path.dirname(target)
  if (!fs.existsSync(dir)) return `${dir} does not exist`
  if (!fs.statSync(dir).isDirectory()) return `${dir} is not a directory`
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) return `${target} is a directory`
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch {
    return `${dir} is not writable`
  }
  return undefined
}

/** The file's absolute path, once it looks writable: a typo fails before the sync, not after it. */
export const checked = (file: string) =>
  Effect.suspend(() => {
    const target = path.resolve(file)
    const reason = problem(target)
    return reason === undefined
      ? Effect.succeed(target)
      : Effect.fail(new UsageError({ message: `${flagName} must be a file in a writable directory: ${reason}` }))
  })

/** Each family's name and help; every family is a gauge. `last_success_*` outlive failed runs, `last_run_*` do not. */
const families = [
  ["picasync_last_success_timestamp_seconds", "When the last successful sync of the source ended, in unix seconds"],
  ["picasync_last_success_rows_fetched", "Rows the last successful sync listed"],
  ["picasync_last_success_changes", "Changes the last successful sync applied, by kind"],
  ["picasync_last_run_status", "1 for how the last sync ended (succeeded or failed), 0 for the other"],
  ["picasync_last_run_duration_seconds", "How long the last sync took, successful or not"],
  ["picasync_last_run_rate_limited", "429 answers the last sync met"],
  ["picasync_last_run_retries", "Requests the last sync attempted again, after a 429 or a transient failure"]
] as const

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

/** The samples in the Prometheus text exposition format, each family once, with its help and type. */
const render = (samples: ReadonlyArray<Sample>): string =>
  families.flatMap(([name, help]) => {
    const lines = samples.filter((sample) => sample.name === name).map((sample) => {
      const labels = Object.entries(sample.labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(",")
      return `${name}{${labels}} ${sample.value}\n`
    })
    return lines.length === 0 ? [] : [`# HELP ${name} ${help}\n# TYPE ${name} gauge\n`, ...lines]
  }).join("")

/** The samples of a file `render` wrote; anything else is skipped. */
const parse = (text: string): ReadonlyArray<Sample> =>
  text.split("\n").flatMap((line) => {
    const [, name, pairs, value] = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line) ?? []
    if (name === undefined || pairs === undefined || value === undefined || Number.isNaN(Number(value))) return []
    const labels = Object.fromEntries(
      [...pairs.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].flatMap(([, key, text]) =>
        key === undefined || text === undefined ? [] : [[key, text.replace(/\\(.)/g, (_, char: string) => (char === "n" ? "\n" : char))]]
      )
    )
    return [{ name, labels, value: Number(value) }]
  })

const changeKinds = ["inserted", "updated", "deleted", "restored", "unchanged"] as const

/** How one run ended, as the file reports it. */
export interface RunFigures {
  readonly source: string
  /** Epoch millis. */
  readonly endedAt: number
  readonly durationMillis: number
  /** The run, when it succeeded. */
  readonly succeeded: Option.Option<SyncRun>
  readonly rateLimited: number
  readonly retries: number
}

/** The run's samples; a failed run keeps the `last_success_*` samples of the source found in `previous`. */
const samples = (run: RunFigures, previous: ReadonlyArray<Sample>): ReadonlyArray<Sample> => {
  const source = { source: run.source }
  const lastSuccess = Option.match(run.succeeded, {
    onNone: () => previous.filter((sample) => sample.name.startsWith("picasync_last_success_") && sample.labels.source === run.source),
    onSome: (succeeded): ReadonlyArray<Sample> => [
      { name: "picasync_last_success_timestamp_seconds", labels: source, value: run.endedAt / 1000 },
      { name: "picasync_last_success_rows_fetched", labels: source, value: succeeded.rowsFetched },
      ...changeKinds.map((kind) => ({ name: "picasync_last_success_changes", labels: { ...source, kind }, value: succeeded[kind] }))
    ]
  })
  const status = Option.isSome(run.succeeded) ? "succeeded" : "failed"
  return [
    ...lastSuccess,
    ...(["succeeded", "failed"] as const).map((value) => ({
      name: "picasync_last_run_status",
      labels: { ...source, status: value },
      value: value === status ? 1 : 0
    })),
    { name: "picasync_last_run_duration_seconds", labels: source, value: run.durationMillis / 1000 },
    { name: "picasync_last_run_rate_limited", labels: source, value: run.rateLimited },
    { name: "picasync_last_run_retries", labels: source, value: run.retries }
  ]
}

/** Written beside the file, then renamed over it: the collector never reads half a file, and ignores names not ending in `.prom`. */
const replace = (file: string, text: string) => {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
  return Effect.tryPromise({
    try: () => fsp.writeFile(temp, text).then(() => fsp.rename(temp, file)),
    catch: (error) => new MetricsFileError({ path: file, reason: DiskSpace.writeFailure(file, error) })
  }).pipe(Effect.tapError(() => Effect.promise(() => fsp.rm(temp, { force: true }))))
}

/** Writes `run`'s figures to `file`, keeping what it had of the last success when the run failed. */
const write = Effect.fn("MetricsFile.write")(function*(file: string, run: RunFigures) {
  // A file that cannot be read has no last success to keep.
  const previous = yield* Effect.promise(() => fsp.readFile(file, "utf8").catch(() => ""))
  yield* replace(file, render(samples(run, parse(previous))))
})

const retryCounts = Effect.all([Metric.value(Retry.rateLimitedCount), Metric.value(Retry.retryCount)])

/**
 * `engine` with each run that ends, successful or failed, written to `file` (an interrupted one is not);
 * a file that cannot be written is logged as one line naming the flag, and the run's outcome stands.
 */
export const observed = (engine: PicaSync.Service, file: string, source: string): PicaSync.Service => {
  const run = (options?: PicaSync.RunOptions) =>
    Effect.flatMap(Effect.all([Clock.currentTimeMillis, retryCounts]), ([startedAt, [rateLimited, retries]]) =>
      engine.run(options).pipe(Effect.onExit((exit) => {
        if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) return Effect.void
        return Effect.all([Clock.currentTimeMillis, retryCounts]).pipe(
          Effect.flatMap(([endedAt, [rateLimitedAfter, retriesAfter]]) =>
            write(file, {
              source: Exit.isSuccess(exit) ? exit.value.source : options?.source ?? source,
              endedAt,
              durationMillis: endedAt - startedAt,
              succeeded: Exit.isSuccess(exit) ? Option.some(exit.value) : Option.none(),
              rateLimited: rateLimitedAfter.count - rateLimited.count,
              retries: retriesAfter.count - retries.count
            })
          ),
          Effect.catchAll((error) => Effect.logError(`${flagName}: ${error.message}`))
        )
      })))
  return { ...engine, run, watch: PicaSync.watchOf(run) }
}
