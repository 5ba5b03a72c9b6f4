import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { DEFAULT_AUTH_HEADER, DEFAULT_BASE_URL } from "@picasync/client"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { PicaSync } from "../PicaSync.js"
import * as Source from "../Source.js"
import { forCli } from "./Advice.js"
import {
  asInterval,
  databaseFlags,
  databaseOptions,
  deprecatedHelp,
  described,
  interval,
  optionalWholeNumberFlag,
  preferringOld,
  wholeNumberFlag
} from "./Flags.js"
import { proxiedHttpClient } from "./HttpProxy.js"
import * as MetricsFile from "./MetricsFile.js"
import { deliverQueued, notifyFlags, notifySettings } from "./Notifications.js"
import { printRun } from "./Output.js"
import { keepFlag, pruneAfterRun } from "./Prune.js"
import { defaultMaxDelay, defaultRetry, syncLayer, type SyncSettings } from "./SyncSettings.js"
import { UsageError } from "./UsageError.js"

const usage = (message: string) => Effect.fail(new UsageError({ message }))

const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

const options = {
  baseUrl: Options.text("base-url").pipe(
    Options.withDefault(DEFAULT_BASE_URL),
    Options.withFallbackConfig(Config.string("PICA_BASE_URL")),
    described("URL", "The API's base URL; https://api.withone.ai for the \"One\" host", { default: DEFAULT_BASE_URL, env: "PICA_BASE_URL" })
  ),
  authHeader: Options.text("auth-header").pipe(
    Options.withDefault(DEFAULT_AUTH_HEADER),
    Options.withFallbackConfig(Config.string("PICA_AUTH_HEADER")),
    described("name", "The header carrying the secret; x-one-secret for the \"One\" host", { default: DEFAULT_AUTH_HEADER, env: "PICA_AUTH_HEADER" })
  ),
  ...databaseFlags,
  source: Options.text("source").pipe(
    Options.optional,
    described("name", "Whose inventory the rows belong to", { default: "live or test from the secret's prefix, else default" })
  ),
  concurrency: wholeNumberFlag("concurrency", { default: 4, range: { min: 1 }, text: "Pages (or single connections) requested at once" }),
  pageSize: optionalWholeNumberFlag("page-size", {
    default: "1000 at first, then what the API really gives (100 if it refuses 1000)",
    range: { min: 1 },
    text: "Rows per page, fixed"
  }),
  retryFor: Options.text("retry-for").pipe(
    Options.withDefault(Duration.format(defaultRetry.retryFor)),
    Options.withFallbackConfig(Config.string("PICASYNC_RETRY_FOR")),
    Options.map((text) => ({ text, duration: interval("--retry-for (or PICASYNC_RETRY_FOR)", text) })),
    described(
      "duration",
      "Keep retrying a request that meets 5xx answers, refused or cut connections or timeouts this long, " +
        "with a warning for each retry; the default rides out a 90-second outage. Rate limits are waited out apart from it",
      { default: Duration.format(defaultRetry.retryFor), env: "PICASYNC_RETRY_FOR" }
    )
  ),
  retryMaxDelay: Options.text("retry-max-delay").pipe(
    Options.withFallbackConfig(Config.string("PICASYNC_RETRY_MAX_DELAY")),
    Options.map((text) => ({ text, duration: interval("--retry-max-delay (or PICASYNC_RETRY_MAX_DELAY)", text) })),
    Options.optional,
    described("duration", "The longest backoff between two attempts of a request", {
      default: "a ninth of --retry-for, at most 20s",
      env: "PICASYNC_RETRY_MAX_DELAY"
    })
  ),
  wait: Options.boolean("wait").pipe(
    described(undefined, "Wait for a running sync of the same source to finish instead of failing")
  ),
  watch: Options.text("watch").pipe(
    asInterval("--watch"),
    Options.optional,
    described("duration", "Sync again on this interval (30s, 5m, 1h) until SIGINT or SIGTERM")
  ),
  metricsFile: MetricsFile.flag,
  keep: keepFlag("After each successful run, prune the history older than this (picasync prune --keep)").pipe(Options.optional),
  format: Options.choice("format", ["text", "json"]).pipe(
    Options.withDefault("text"),
    described(undefined, "How each run is printed: text (one summary line) or json (its sync_runs row as one JSON object a line)", {
      default: "text"
    })
  ),
  json: Options.boolean("json").pipe(Options.withDescription(deprecatedHelp("--format json"))),
  ...notifyFlags
}

type Parsed = Command.Command.ParseConfig<typeof options>

/** Checks every flag and variable, naming the one at fault; nothing is opened yet. */
const settingsFrom = (parsed: Parsed) =>
  Effect.gen(function*() {
    const secretKey = yield* Config.redacted("PICA_SECRET_KEY").pipe(
      Config.validate({ message: "is empty", validation: (secret) => Redacted.value(secret).length > 0 }),
      Effect.mapError(() =>
        new UsageError({ message: "PICA_SECRET_KEY is not set: export the Pica secret key (sk_test_… or sk_live_…) to sync" })
      )
    )
    if (!isHttpUrl(parsed.baseUrl)) {
      return yield* usage(`--base-url (or PICA_BASE_URL) must be an absolute http(s) URL; got "${parsed.baseUrl}"`)
    }
    if (!/^[A-Za-z0-9-]+$/.test(parsed.authHeader)) {
      return yield* usage(`--auth-header (or PICA_AUTH_HEADER) must be a header name; got "${parsed.authHeader}"`)
    }
    const source = Option.getOrElse(parsed.source, () => Source.fromSecret(secretKey))
    if (!Source.isValidName(source)) {
      return yield* usage(`--source must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit; got "${source}"`)
    }
    const retryFor = yield* parsed.retryFor.duration
    const retryMaxDelay = Option.isNone(parsed.retryMaxDelay)
      ? defaultMaxDelay(retryFor)
      : yield* parsed.retryMaxDelay.value.duration
    if (Duration.greaterThan(retryMaxDelay, retryFor)) {
      return yield* usage(
        `--retry-max-delay (${
          Option.getOrUndefined(Option.map(parsed.retryMaxDelay, (flag) => flag.text))
        }) must not be longer than --retry-for (${parsed.retryFor.text}): no retry would fit`
      )
    }
    const settings: SyncSettings = {
      secretKey,
      baseUrl: parsed.baseUrl,
      authHeader: parsed.authHeader,
      database: yield* databaseOptions(parsed),
      sync: {
        source,
        concurrency: yield* parsed.concurrency,
        pageSize: Option.getOrUndefined(yield* parsed.pageSize),
        wait: parsed.wait
      },
      retry: { retryFor, retryMaxDelay },
      notify: Option.getOrUndefined(yield* notifySettings(parsed))
    }
    const watch = yield* Effect.transposeOption(parsed.watch)
    const metricsFile = yield* Effect.transposeMapOption(parsed.metricsFile, MetricsFile.checked)
    const keep = yield* Effect.transposeMapOption(parsed.keep, (value) => Effect.as(interval("--keep", value), value))
    const format = yield* preferringOld(parsed.json ? Option.some("json" as const) : Option.none(), "--json", "--format json", parsed.format)
    return { settings, watch, metricsFile, keep, json: format === "json" }
  })

export const syncCommand = Command.make("sync", options, (parsed) =>
  Effect.gen(function*() {
    const { json, keep, metricsFile, settings, watch } = yield* settingsFrom(parsed)
    const runOptions = { wait: settings.sync.wait }
    // After a run commits, its notifications (and any an earlier process left queued) go out, then old history.
    const notify = Effect.zipRight(
      settings.notify === undefined ? Effect.void : deliverQueued(settings.notify),
      Option.match(keep, { onNone: () => Effect.void, onSome: (value) => pruneAfterRun(value, settings.sync.source) })
    )
    const program = Effect.flatMap(PicaSync, (sync) =>
      Option.match(watch, {
        onNone: () => Effect.flatMap(sync.run(runOptions), (run) => Effect.zipRight(printRun(run, json), notify)),
        // Each run printed; a failed one, or notifications left undelivered, logged, and the next run still happens.
        onSome: (every) =>
          sync.watch(Schedule.spaced(every), runOptions).pipe(
            Stream.runForEach(Either.match({
              onLeft: (error) => Effect.logError(`sync failed: ${forCli(error)}`),
              onRight: (run) =>
                Effect.zipRight(printRun(run, json), notify.pipe(Effect.catchAll((error) => Effect.logError(forCli(error)))))
            }))
          )
      }))
    // Each run's figures to the metrics file, whichever way it ends.
    const observed = Option.match(metricsFile, {
      onNone: () => program,
      onSome: (file) => Effect.updateService(program, PicaSync, (sync) => MetricsFile.observed(sync, file, settings.sync.source))
    })
    yield* Effect.provide(observed, Layer.merge(syncLayer(settings), proxiedHttpClient))
  })).pipe(Command.withDescription("Mirror every Pica connection (active and inactive) into the database, atomically"))
