import type { Client, Config as ClientConfig } from "@libsql/client"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as path from "node:path"
import { DatabaseMissing, failure, type FailureContext } from "./DatabaseError.js"
import { localPath } from "./DatabaseUrl.js"

export interface MirrorDatabaseOptions {
  /** `file:path.db`, `libsql://…`, `https://…`, `ws://…`. */
  readonly url: string
  readonly authToken?: Redacted.Redacted<string> | undefined
  /** Fail rather than create a local database file that does not exist yet. */
  readonly mustExist?: boolean | undefined
  /**
   * Read a remote database through an embedded replica kept in this local file, brought up to date
   * from `url` when opened if `refresh`; reads then run at local speed, and offline without `refresh`.
   */
  readonly replica?: { readonly path: string; readonly refresh: boolean } | undefined
  /** A call to a remote database without an answer after this long fails (default 2 minutes). */
  readonly timeout?: Duration.DurationInput | undefined
}

export const DEFAULT_TIMEOUT = Duration.minutes(2)

/** How long a statement waits for another process's write lock before failing with `SQLITE_BUSY`. */
export const BUSY_TIMEOUT_MILLIS = 5_000
/**
 * Under WAL, NORMAL syncs to disk at checkpoints rather than at every commit: each commit stays atomic
 * and the file consistent through a crash; only a power cut can lose the last commits before a checkpoint.
 */
const SYNCHRONOUS = "NORMAL"
/**
 * Page cache per connection, KiB (SQLite's default is 2 MiB), which also bounds the sorter that builds an index in
 * memory. With 8 KiB pages a first sync of 1,000,000 rows took the same 63 s with 64, 40 or 32 MiB, peaking at 510,
 * 472 and 430 MiB; at 100,000 rows 32 MiB ran a first sync and an unchanged one as fast as 64 MiB did with 4 KiB pages.
 */
const CACHE_KIB = 32 * 1024

/**
 * Pages of a new mirror file, bytes (SQLite's default is 4 KiB): rows of about 1 KB fill them better, and each scan,
 * index build and checkpoint handles half as many pages: a first sync of 100,000 rows in 0.92x the time, of 1,000,000
 * in 0.82x. A file that exists keeps the size it was made with.
 */
export const PAGE_BYTES = 8192

/** Per-connection settings of a local file, so set again on every fresh connection. */
export const PRAGMAS: ReadonlyArray<string> = [`PRAGMA synchronous = ${SYNCHRONOUS}`, `PRAGMA cache_size = -${CACHE_KIB}`]

const authToken = (options: MirrorDatabaseOptions) =>
  options.authToken === undefined ? {} : { authToken: Redacted.value(options.authToken) }

/** `fetch` that gives up on a request after `millis`, so a silent server cannot hold a call forever. */
const fetchWithin = (millis: number) => (request: Request, init?: RequestInit) =>
  fetch(request, { ...init, signal: AbortSignal.timeout(millis) })

/** The file a command reads and writes: the database itself, or the local replica of a remote one. */
const fileUrl = (options: MirrorDatabaseOptions) =>
  options.replica === undefined ? options.url : `file:${path.resolve(options.replica.path)}`

/** The local file the database is in: the file itself, or the replica's; none for a server. */
export const localFile = (options: MirrorDatabaseOptions) =>
  options.replica === undefined ? localPath(options.url) : path.resolve(options.replica.path)

/** Fails with `DatabaseMissing` when the database must exist and its local file does not. */
export const checkExists = (options: MirrorDatabaseOptions) => {
  const file = localFile(options)
  return options.mustExist && file !== undefined && !fs.existsSync(file)
    ? Effect.fail(new DatabaseMissing({ path: file, ...(options.replica === undefined ? {} : { replica: true }) }))
    : Effect.void
}

/**
 * A libSQL client for `config`. A local file (a replica included) needs only the native client; the
 * clients of a server and their WebSockets are loaded for a server alone, which saves a file's
 * commands a sixth of their start-up.
 */
const createClient = (config: ClientConfig, context: FailureContext, operation: string) =>
  Effect.tryPromise({
    try: async () =>
      config.url.startsWith("file:")
        ? (await import("@libsql/client/sqlite3")).createClient(config)
        : (await import("@libsql/client")).createClient(config),
    catch: failure(operation, context)
  })

/** The one connection of a command, closed with the scope. */
export const open = (options: MirrorDatabaseOptions, context: FailureContext, timeoutMillis: number) =>
  Effect.acquireRelease(
    createClient({
      url: fileUrl(options),
      ...authToken(options),
      timeout: BUSY_TIMEOUT_MILLIS,
      fetch: fetchWithin(timeoutMillis),
      // One connection: libSQL calls block the event loop, so a second in-process connection
      // waiting on the first one's write lock could never be released.
      concurrency: 1
    }, context, "open"),
    (client: Client) => Effect.sync(() => client.close())
  )

/**
 * Brings the local replica up to date from the server, on a client of its own that is closed after:
 * reads then go to the replica as a plain file, where `PRAGMA query_only` holds and no statement is
 * ever forwarded to the server (an embedded replica sends writes to its primary).
 */
export const refreshReplica = (options: MirrorDatabaseOptions, context: FailureContext) =>
  Effect.acquireUseRelease(
    createClient({ url: fileUrl(options), syncUrl: options.url, ...authToken(options) }, context, "replica refresh"),
    (replica) => Effect.tryPromise({ try: () => replica.sync(), catch: failure("replica refresh", context) }),
    (replica) => Effect.sync(() => replica.close())
  )
