import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { MirrorDatabaseOptions } from "../db/MirrorDatabase.js"
import { UsageError } from "./UsageError.js"

/** `--db` and `--db-auth-token`, shared by every command that opens the mirror. */
export const databaseFlags = {
  db: Options.text("db").pipe(
    Options.withDefault("file:picasync.db"),
    Options.withFallbackConfig(Config.string("PICASYNC_DB")),
    Options.withDescription("The mirror database (env PICASYNC_DB): a path, file:path.db, libsql://… or https://…")
  ),
  dbAuthToken: Options.redacted("db-auth-token").pipe(
    Options.withFallbackConfig(Config.redacted("PICASYNC_DB_AUTH_TOKEN")),
    Options.optional,
    Options.withDescription("Auth token of a remote libsql:// or https:// database (env PICASYNC_DB_AUTH_TOKEN)")
  )
}

/** `--source` of the commands that read the mirror: one source, or every source when left out. */
export const sourceFilterFlag = Options.text("source").pipe(
  Options.optional,
  Options.withDescription("Only this source (live, test, or a name of yours, as in sync_runs.source); every source in the mirror when left out")
)

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
        message: `--db (or PICASYNC_DB) must be a file path, a file: URL or a libsql://, https:// URL; got "${value}"`
      })
    )
}

/** The database the flags name. */
export const databaseOptions = (parsed: { readonly db: string; readonly dbAuthToken: Option.Option<Redacted.Redacted<string>> }) =>
  Effect.map(databaseUrl(parsed.db), (url): MirrorDatabaseOptions => ({ url, authToken: Option.getOrUndefined(parsed.dbAuthToken) }))
