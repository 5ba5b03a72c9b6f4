import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { MirrorDatabaseOptions } from "../db/MirrorDatabase.js"
import { described } from "./Flags.js"
import { interval } from "./interval.js"
import { UsageError } from "./UsageError.js"

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
  Options.text("max-age").pipe(Options.withDefault("24h"), described("duration", `${what} (30m, 6h, 7d)`, { default: "24h" }))

/** The source `--source` names, or undefined for every source; an empty one is a usage error, not every source. */
export const sourceFilter = (source: Option.Option<string>) =>
  Option.isSome(source) && source.value.trim() === ""
    ? Effect.fail(new UsageError({ message: "--source is empty: name a source (live, test, …) or leave the flag out for every source" }))
    : Effect.succeed(Option.getOrUndefined(source))

/** `file:` URLs and bare paths are local files; `libsql:`, `http(s):` and `ws(s):` URLs are remote databases. */
export const databaseUrl = (value: string) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    return value.trim() === ""
      ? Effect.fail(new UsageError({ message: "--db (or PICASYNC_DB) is empty" }))
      : Effect.succeed(`file:${value}`)
  }
  if (scheme === "file") return Effect.succeed(value)
  return ["libsql", "http", "https", "ws", "wss"].includes(scheme) && URL.canParse(value)
    ? Effect.succeed(value)
    : Effect.fail(
      new UsageError({
        message: `--db (or PICASYNC_DB) must be a file path, a file: URL or a libSQL server URL (libsql://, https://, http://, wss://, ws://); got "${value}"`
      })
    )
}

interface ParsedDatabaseFlags {
  readonly db: string
  readonly dbAuthToken: Option.Option<Redacted.Redacted<string>>
  readonly dbTimeout: string
}

/** The database the flags name. */
export const databaseOptions = (parsed: ParsedDatabaseFlags) =>
  Effect.gen(function*() {
    const url = yield* databaseUrl(parsed.db)
    const timeout = yield* interval("--db-timeout (or PICASYNC_DB_TIMEOUT)", parsed.dbTimeout)
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
        ? yield* new UsageError({ message: "--offline reads a local replica: give --replica PATH (or PICASYNC_REPLICA) too" })
        : options
    }
    if (options.url.startsWith("file:")) {
      return yield* new UsageError({
        message: "--replica keeps a local copy of a libSQL server's database; --db (or PICASYNC_DB) is a local file already"
      })
    }
    return { ...options, replica: { path: parsed.replica.value, refresh: !parsed.offline } } satisfies MirrorDatabaseOptions
  })
