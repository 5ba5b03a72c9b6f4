import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { NodeHttpClient } from "@effect/platform-node"
import { DEFAULT_AUTH_HEADER, DEFAULT_BASE_URL, PicaClient } from "@picasync/client"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { Database, type DatabaseOptions } from "../db/Database.js"
import * as Progress from "../Progress.js"
import * as Source from "../Source.js"
import * as Sync from "../Sync.js"
import { printRun } from "./Output.js"
import { UsageError } from "./UsageError.js"

/** What a sync needs to run, checked before the database is opened. */
export interface SyncSettings {
  readonly secretKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly authHeader: string
  readonly database: DatabaseOptions
  readonly sync: Sync.SyncOptions
}

/** The database, the API client and a progress display for `settings`. */
export const syncLayer = (settings: SyncSettings) =>
  Layer.mergeAll(
    Database.Default(settings.database),
    PicaClient.layer({
      secretKey: settings.secretKey,
      baseUrl: settings.baseUrl,
      authHeader: settings.authHeader,
      pageSize: settings.sync.pageSize
    }).pipe(Layer.provide(NodeHttpClient.layerUndici)),
    process.stderr.isTTY ? Progress.bar(process.stderr) : Progress.logLines
  )

const usage = (message: string) => Effect.fail(new UsageError({ message }))

const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

/** `file:` URLs and bare paths are local files; `libsql:`, `http(s):` and `ws(s):` URLs are remote databases. */
export const databaseUrl = (value: string) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) return value.trim() === "" ? usage("--db (or PICASYNC_DB) is empty") : Effect.succeed(`file:${value}`)
  if (scheme === "file") return Effect.succeed(value)
  return ["libsql", "http", "https", "ws", "wss"].includes(scheme) && URL.canParse(value)
    ? Effect.succeed(value)
    : usage(`--db (or PICASYNC_DB) must be a file path, a file: URL or a libsql://, https:// URL; got "${value}"`)
}

export const positive = (flag: string, value: number) =>
  Number.isSafeInteger(value) && value >= 1 ? Effect.succeed(value) : usage(`${flag} must be a whole number >= 1; got ${value}`)

const units: Record<string, Duration.DurationInput> = { s: "1 second", m: "1 minute", h: "1 hour" }

/** `30s`, `5m`, `1h`: the interval between two syncs of `--watch`. */
const interval = (value: string) => {
  const match = /^(\d+)(s|m|h)$/.exec(value.trim())
  return match === null || Number(match[1]) === 0
    ? usage(`--watch takes an interval such as 30s, 5m or 1h; got "${value}"`)
    : Effect.succeed(Duration.times(Duration.decode(units[match[2]!]!), Number(match[1])))
}

const options = {
  baseUrl: Options.text("base-url").pipe(
    Options.withDefault(DEFAULT_BASE_URL),
    Options.withFallbackConfig(Config.string("PICA_BASE_URL")),
    Options.withDescription("The API's base URL (env PICA_BASE_URL); https://api.withone.ai for the \"One\" host")
  ),
  authHeader: Options.text("auth-header").pipe(
    Options.withDefault(DEFAULT_AUTH_HEADER),
    Options.withFallbackConfig(Config.string("PICA_AUTH_HEADER")),
    Options.withDescription("The header carrying the secret (env PICA_AUTH_HEADER); x-one-secret for the \"One\" host")
  ),
  db: Options.text("db").pipe(
    Options.withDefault("file:picasync.db"),
    Options.withFallbackConfig(Config.string("PICASYNC_DB")),
    Options.withDescription("The mirror database (env PICASYNC_DB): a path, file:path.db, libsql://… or https://…")
  ),
  dbAuthToken: Options.redacted("db-auth-token").pipe(
    Options.withFallbackConfig(Config.redacted("PICASYNC_DB_AUTH_TOKEN")),
    Options.optional,
    Options.withDescription("Auth token of a remote libsql:// or https:// database (env PICASYNC_DB_AUTH_TOKEN)")
  ),
  source: Options.text("source").pipe(
    Options.optional,
    Options.withDescription("Whose inventory the rows belong to; default live or test from the secret's prefix, else default")
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDefault(4),
    Options.withDescription("Pages (or single connections) requested at once")
  ),
  pageSize: Options.integer("page-size").pipe(Options.withDefault(100), Options.withDescription("Rows per page")),
  wait: Options.boolean("wait").pipe(
    Options.withDescription("Wait for a running sync of the same source to finish instead of failing")
  ),
  watch: Options.text("watch").pipe(
    Options.optional,
    Options.withDescription("Sync again on this interval (30s, 5m, 1h) until SIGINT or SIGTERM")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print each run as a JSON object instead of a line"))
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
    const settings: SyncSettings = {
      secretKey,
      baseUrl: parsed.baseUrl,
      authHeader: parsed.authHeader,
      database: { url: yield* databaseUrl(parsed.db), authToken: Option.getOrUndefined(parsed.dbAuthToken) },
      sync: {
        source,
        concurrency: yield* positive("--concurrency", parsed.concurrency),
        pageSize: yield* positive("--page-size", parsed.pageSize),
        wait: parsed.wait
      }
    }
    const watch = yield* Effect.transposeMapOption(parsed.watch, interval)
    return { settings, watch }
  })

/** One run, its summary printed; in watch mode a failure is logged and the next run still happens. */
const syncOnce = (settings: SyncSettings, json: boolean) => Effect.flatMap(Sync.run(settings.sync), (run) => printRun(run, json))

export const syncCommand = Command.make("sync", options, (parsed) =>
  Effect.gen(function*() {
    const { settings, watch } = yield* settingsFrom(parsed)
    const once = syncOnce(settings, parsed.json)
    const program = Option.match(watch, {
      onNone: () => once,
      onSome: (every) =>
        once.pipe(
          Effect.catchAll((error) => Effect.logError(`sync failed: ${error.message}`)),
          Effect.repeat(Schedule.spaced(every)),
          Effect.asVoid
        )
    })
    yield* Effect.provide(program, syncLayer(settings))
  })).pipe(Command.withDescription("Mirror every Pica connection (active and inactive) into the database, atomically"))
