import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { MirrorDatabaseOptions } from "../db/MirrorDatabase.js"
import { UsageError } from "./UsageError.js"

/**
 * The flags several commands share, and the parsers of every command's flags. A parsed flag's value is
 * an Effect the command's handler `yield*`s: the value, or a usage error naming the flag (exit 2), raised
 * in the order the handler reads its flags.
 */

/**
 * An option's help as every option says it: its kind in the usage (`--db-timeout duration`), then what it does,
 * its default and the variable that sets it.
 */
export const described = (
  kind: string | undefined,
  text: string,
  about: { readonly default?: string | number | undefined; readonly env?: string | undefined } = {}
) =>
<A>(option: Options.Options<A>): Options.Options<A> => {
  const trailer = [
    about.default === undefined ? [] : [`Default: ${about.default}.`],
    about.env === undefined ? [] : [`Env: ${about.env}.`]
  ].flat()
  const described = Options.withDescription(option, [text.endsWith(".") ? text : `${text}.`, ...trailer].join(" "))
  return kind === undefined ? described : Options.withPseudoName(described, kind)
}

/**
 * The value of a flag's old spelling when it was given, with a one-line notice on stderr naming the
 * new one; else `current`, the new flag's value.
 */
export const preferringOld = <A>(old: Option.Option<A>, oldName: string, newName: string, current: A) =>
  Option.match(old, {
    onNone: () => Effect.succeed(current),
    onSome: (value) => Effect.as(Console.error(`picasync: ${oldName} is deprecated and will go; use ${newName}`), value)
  })

/** An old spelling kept working, marked in the help as what it is. */
export const deprecatedHelp = (newName: string) => `Deprecated: use ${newName}`

const usage = (message: string) => Effect.fail(new UsageError({ message }))

const units: Record<string, Duration.Duration> = {
  s: Duration.seconds(1),
  m: Duration.minutes(1),
  h: Duration.hours(1),
  d: Duration.days(1)
}

/** `30s`, `5m`, `1h`, `7d`: a flag's interval, or a usage error naming the flag. */
export const interval = (flag: string, value: string): Effect.Effect<Duration.Duration, UsageError> => {
  const match = /^(\d+)(s|m|h|d)$/.exec(value.trim())
  const unit = match?.[2] === undefined ? undefined : units[match[2]]
  return match === null || unit === undefined || Number(match[1]) === 0
    ? usage(`${flag} takes an interval such as 30s, 5m, 1h or 7d; got "${value}"`)
    : Effect.succeed(Duration.times(unit, Number(match[1])))
}

/** The bounds of a whole-number flag. */
export interface Range {
  readonly min?: number | undefined
  readonly max?: number | undefined
}

const rangeText = ({ max, min }: Range) =>
  min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` >= ${min}` : ""

/** `42`: a flag's whole number within `range`, or a usage error naming the flag. */
export const wholeNumber = (flag: string, value: string, range: Range = {}): Effect.Effect<number, UsageError> => {
  const expected = `${flag} must be a whole number${rangeText(range)}`
  if (!/^[-+]?\d+$/.test(value)) return usage(`${expected}; got "${value}"`)
  const number = Number(value)
  return Number.isSafeInteger(number) && number >= (range.min ?? -Infinity) && number <= (range.max ?? Infinity)
    ? Effect.succeed(number)
    : usage(`${expected}; got ${number}`)
}

/** A text option read as an interval when the command runs; `flag` names it in the error (`--db-timeout (or PICASYNC_DB_TIMEOUT)`). */
export const asInterval = (flag: string) => Options.map((text: string) => interval(flag, text))

/** A text option read as a whole number within `range` when the command runs. */
const asWholeNumber = (flag: string, range: Range = {}) => Options.map((text: string) => wholeNumber(flag, text, range))

/** `--name integer`, with its default and range, read as a whole number when the command runs. */
export const wholeNumberFlag = (
  name: string,
  about: { readonly default: number; readonly range?: Range | undefined; readonly text: string }
) =>
  Options.text(name).pipe(
    Options.withDefault(String(about.default)),
    asWholeNumber(`--${name}`, about.range),
    described("integer", about.text, { default: about.default })
  )

/** `--name integer` that may be left out (its default told in words), read as a whole number within `range` when the command runs. */
export const optionalWholeNumberFlag = (
  name: string,
  about: { readonly default: string; readonly range?: Range | undefined; readonly text: string }
) =>
  Options.text(name).pipe(
    Options.optional,
    Options.map((given) => Effect.transposeMapOption(given, (text) => wholeNumber(`--${name}`, text, about.range))),
    described("integer", about.text, { default: about.default })
  )

/** `--format` of the commands that describe the mirror rather than return rows. */
export const textOrJsonFlag = Options.choice("format", ["table", "json"]).pipe(
  Options.withDefault("table"),
  described(undefined, "table (text to read) or json (to script against)", { default: "table" })
)

/** `--db`, `--db-auth-token` and `--db-timeout`, shared by every command that opens the mirror. */
export const databaseFlags = {
  db: Options.text("db").pipe(
    Options.withDefault("file:picasync.db"),
    Options.withFallbackConfig(Config.string("PICASYNC_DB")),
    described("path|URL", "The mirror database: a path, file:path.db, or a libSQL server as libsql://…, https://…, http://… or ws://…", {
      default: "file:picasync.db",
      env: "PICASYNC_DB"
    })
  ),
  dbAuthToken: Options.redacted("db-auth-token").pipe(
    Options.withFallbackConfig(Config.redacted("PICASYNC_DB_AUTH_TOKEN")),
    Options.optional,
    described("token", "JWT of a libSQL server; a read-only one is enough for the commands that only read", { env: "PICASYNC_DB_AUTH_TOKEN" })
  ),
  dbTimeout: Options.text("db-timeout").pipe(
    Options.withDefault("2m"),
    Options.withFallbackConfig(Config.string("PICASYNC_DB_TIMEOUT")),
    asInterval("--db-timeout (or PICASYNC_DB_TIMEOUT)"),
    described("duration", "Give up on a libSQL server that has not answered one call for this long", { default: "2m", env: "PICASYNC_DB_TIMEOUT" })
  )
}

/** The flags of a command that only reads: the database, and optionally a local replica of a remote one. */
export const readerFlags = {
  ...databaseFlags,
  replica: Options.file("replica").pipe(
    Options.withFallbackConfig(Config.string("PICASYNC_REPLICA")),
    Options.optional,
    described(
      "path",
      "Read a remote --db through a local embedded replica kept in this file, brought up to date from the server first: the SQL then runs at local speed",
      { env: "PICASYNC_REPLICA" }
    )
  ),
  offline: Options.boolean("offline").pipe(
    described(undefined, "With --replica: read the replica as last refreshed, without asking the server (works offline)")
  )
}

/** `--source` of the commands that read the mirror: one source, or every source when left out. */
export const sourceFilterFlag = Options.text("source").pipe(
  Options.optional,
  described("name", "Only this source (live, test, or a name of yours, as in sync_runs.source)", { default: "every source in the mirror" })
)

/** `--max-age` of `status` and `check`: how old a source's last success may be. */
export const maxAgeFlag = (what: string) =>
  Options.text("max-age").pipe(
    Options.withDefault("24h"),
    asInterval("--max-age"),
    described("duration", `${what} (30m, 6h, 7d)`, { default: "24h" })
  )

/** The source `--source` names, or undefined for every source; an empty one is a usage error, not every source. */
export const sourceFilter = (source: Option.Option<string>) =>
  Option.isSome(source) && source.value.trim() === ""
    ? usage("--source is empty: name a source (live, test, …) or leave the flag out for every source")
    : Effect.succeed(Option.getOrUndefined(source))

/** `file:` URLs and bare paths are local files; `libsql:`, `http(s):` and `ws(s):` URLs are remote databases. */
export const databaseUrl = (value: string) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    return value.trim() === "" ? usage("--db (or PICASYNC_DB) is empty") : Effect.succeed(`file:${value}`)
  }
  if (scheme === "file") return Effect.succeed(value)
  return ["libsql", "http", "https", "ws", "wss"].includes(scheme) && URL.canParse(value)
    ? Effect.succeed(value)
    : usage(
      `--db (or PICASYNC_DB) must be a file path, a file: URL or a libSQL server URL (libsql://, https://, http://, wss://, ws://); got "${value}"`
    )
}

interface ParsedDatabaseFlags {
  readonly db: string
  readonly dbAuthToken: Option.Option<Redacted.Redacted<string>>
  readonly dbTimeout: Effect.Effect<Duration.Duration, UsageError>
}

/** The database the flags name. */
export const databaseOptions = (parsed: ParsedDatabaseFlags) =>
  Effect.gen(function*() {
    const url = yield* databaseUrl(parsed.db)
    const timeout = yield* parsed.dbTimeout
    return { url, authToken: Option.getOrUndefined(parsed.dbAuthToken), timeout } satisfies MirrorDatabaseOptions
  })

/** The database a reading command's flags name, with its local replica if any. */
export const readerOptions = (
  parsed: ParsedDatabaseFlags & { readonly replica: Option.Option<string>; readonly offline: boolean }
) =>
  Effect.gen(function*() {
    const options = yield* databaseOptions(parsed)
    if (Option.isNone(parsed.replica)) {
      return parsed.offline
        ? yield* usage("--offline reads a local replica: give --replica PATH (or PICASYNC_REPLICA) too")
        : options
    }
    if (options.url.startsWith("file:")) {
      return yield* usage(
        "--replica keeps a local copy of a libSQL server's database; --db (or PICASYNC_DB) is a local file already"
      )
    }
    return { ...options, replica: { path: parsed.replica.value, refresh: !parsed.offline } } satisfies MirrorDatabaseOptions
  })
