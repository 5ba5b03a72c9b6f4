import { type Client, createClient, LibsqlError, type Transaction } from "@libsql/client"
import { DrizzleQueryError } from "drizzle-orm/errors"
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import * as schema from "./schema.js"

/** Drizzle over the connection, or over the open transaction; `$client` runs raw SQL on the same one. */
export type Orm = LibSQLDatabase<typeof schema> & { readonly $client: Client }

/** A libSQL call that failed; `code` is libSQL's (e.g. `SQLITE_BUSY`) when it gave one. */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  reason: Schema.String,
  code: Schema.optional(Schema.String)
}) {
  override get message() {
    return `database ${this.operation} failed: ${this.reason}; check that the database is reachable and writable`
  }

  get isBusy() {
    return this.code === "SQLITE_BUSY"
  }
}

export interface MirrorDatabaseOptions {
  /** `file:path.db`, `libsql://…`, `https://…`. */
  readonly url: string
  readonly authToken?: Redacted.Redacted<string> | undefined
  /** Fail rather than create a local database file that does not exist yet. */
  readonly mustExist?: boolean | undefined
}

/** A database that must exist (for reading) is a local file that does not. */
export class DatabaseMissing extends Schema.TaggedError<DatabaseMissing>()("DatabaseMissing", {
  path: Schema.String
}) {
  override get message() {
    return `no database at ${this.path}: sync into it first, or open the mirror where it is`
  }
}

/** The file behind a `file:` URL, or undefined for a remote database. */
const localPath = (url: string) =>
  url.startsWith("file:") ? path.resolve(decodeURIComponent(url.slice("file:".length).replace(/^\/\/(localhost)?(?=\/)/, "").split("?")[0]!)) : undefined

const checkExists = (options: MirrorDatabaseOptions) => {
  const file = localPath(options.url)
  return options.mustExist && file !== undefined && !fs.existsSync(file)
    ? Effect.fail(new DatabaseMissing({ path: file }))
    : Effect.void
}

/** How long a statement waits for another process's write lock before failing with `SQLITE_BUSY`. */
const BUSY_TIMEOUT_MILLIS = 5_000
const BUSY_RETRIES = 11
/**
 * Under WAL, NORMAL syncs to disk at checkpoints rather than at every commit: each commit stays atomic
 * and the file consistent through a crash; only a power cut can lose the last commits before a checkpoint.
 */
const SYNCHRONOUS = "NORMAL"
/**
 * Page cache per connection, KiB (SQLite's default is 2 MiB): staging and the apply look rows up by
 * random id, and a cache this size keeps most of those pages in memory. A cap, so memory stays bounded.
 */
const CACHE_KIB = 64 * 1024

const failure = (operation: string) => (cause: unknown) => {
  // Drizzle wraps libSQL's error, code included, in one whose message is the SQL and its parameters on two lines.
  const error = cause instanceof DrizzleQueryError && cause.cause !== undefined ? cause.cause : cause
  return new DatabaseError({
    operation,
    reason: error instanceof Error ? error.message : String(error),
    ...(error instanceof LibsqlError ? { code: error.code } : {})
  })
}

const open = (options: MirrorDatabaseOptions) =>
  Effect.try({
    try: () =>
      createClient({
        url: options.url,
        ...(options.authToken === undefined ? {} : { authToken: Redacted.value(options.authToken) }),
        timeout: BUSY_TIMEOUT_MILLIS,
        // One connection: libSQL calls block the event loop, so a second in-process connection
        // waiting on the first one's write lock could never be released.
        concurrency: 1
      }),
    catch: failure("open")
  })

/** The mirror's database: queries and transactions, as Effects, over Drizzle and libSQL. */
export interface Service {
  /** Runs `run` on the open transaction of this fiber, else on its own; every call is serialised. */
  readonly query: <A>(operation: string, run: (orm: Orm) => Promise<A>) => Effect.Effect<A, DatabaseError>
  /**
   * Runs `effect` in one write transaction (`BEGIN IMMEDIATE`): committed if it succeeds, rolled back if
   * it fails or is interrupted. Rerun from the start if the database stays busy, so `effect` must do
   * nothing but database work.
   */
  readonly transaction: <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DatabaseError, R>
  /** Runs `run` in a read transaction that is always rolled back; SQLite refuses writes in it on a local file. */
  readonly readOnly: <A>(operation: string, run: (tx: Transaction) => Promise<A>) => Effect.Effect<A, DatabaseError>
}

/**
 * Opens the mirror database: Drizzle over one `@libsql/client` connection, closed with the scope.
 * It does not migrate: provide `MirrorMigrations.layer` where the schema may be missing or old.
 */
export const make: (options: MirrorDatabaseOptions) => Effect.Effect<Service, DatabaseError | DatabaseMissing, Scope.Scope> =
  Effect.fn("MirrorDatabase.open")(function*(options: MirrorDatabaseOptions) {
    yield* checkExists(options)
    const client = yield* Effect.acquireRelease(open(options), (client) => Effect.sync(() => client.close()))
    const orm: Orm = drizzle({ client, schema })
    const permit = yield* Effect.makeSemaphore(1)
    const currentTransaction = yield* FiberRef.make(Option.none<Orm>())
    const local = localPath(options.url) !== undefined
    /** Per-connection settings, so set again on every fresh connection. */
    const tune = async (connection: Client) => {
      if (!local) return
      await connection.execute(`PRAGMA synchronous = ${SYNCHRONOUS}`)
      await connection.execute(`PRAGMA cache_size = -${CACHE_KIB}`)
    }

    const attempt = <A>(operation: string, db: Orm, run: (orm: Orm) => Promise<A>) =>
      Effect.tryPromise({ try: () => run(db), catch: failure(operation) })

    /**
     * Another process holding the write lock past the busy timeout is waited out, up to a minute.
     * libSQL leaves a statement that failed with SQLITE_BUSY open, which breaks the next commit on
     * that connection ("SQL statements in progress"), so each retry starts on a fresh connection.
     */
    let tuned = false
    /** Tunes a fresh connection first, inside the attempt, so a busy database costs one wait per attempt. */
    const tuneOnce = Effect.tryPromise({
      try: async () => {
        if (!tuned) await tune(client)
        tuned = true
      },
      catch: failure("open")
    })
    const waitOutBusy = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.zipRight(tuneOnce, effect).pipe(
        Effect.tapError((error) =>
          error instanceof DatabaseError && error.isBusy
            ? Effect.tryPromise({ try: async () => await client.reconnect(), catch: failure("reconnect") }).pipe(
              Effect.tap(() => Effect.sync(() => (tuned = false)))
            )
            : Effect.void
        ),
        Effect.retry({ while: (error) => error instanceof DatabaseError && error.isBusy, times: BUSY_RETRIES })
      )

    const query = <A>(operation: string, run: (orm: Orm) => Promise<A>): Effect.Effect<A, DatabaseError> =>
      Effect.flatMap(FiberRef.get(currentTransaction), (transaction) =>
        Option.match(transaction, {
          onNone: () => permit.withPermits(1)(waitOutBusy(attempt(operation, orm, run))),
          onSome: (tx) => attempt(operation, tx, run)
        }))

    const transaction = <A, E, R>(
      operation: string,
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | DatabaseError, R> =>
      permit.withPermits(1)(waitOutBusy(
        Effect.acquireUseRelease(
          Effect.tryPromise({ try: () => client.transaction("write"), catch: failure(`${operation} (begin)`) }),
          (tx) =>
            effect.pipe(
              // A libSQL transaction runs statements exactly like a client does.
              Effect.locally(currentTransaction, Option.some(drizzle({ client: tx as unknown as Client, schema }))),
              Effect.zipLeft(Effect.tryPromise({ try: () => tx.commit(), catch: failure(`${operation} (commit)`) }))
            ),
          (tx) => Effect.sync(() => tx.close())
        )
      )).pipe(Effect.withSpan(`Database.transaction ${operation}`))

    // A local database is also put in `PRAGMA query_only`, so SQLite itself refuses any write.
    const readOnly = <A>(operation: string, run: (tx: Transaction) => Promise<A>): Effect.Effect<A, DatabaseError> =>
      permit.withPermits(1)(
        Effect.acquireUseRelease(
          Effect.tryPromise({
            try: async () => {
              const tx = await client.transaction("read")
              if (local) await tx.execute("PRAGMA query_only = ON")
              return tx
            },
            catch: failure(`${operation} (begin)`)
          }),
          (tx) => Effect.tryPromise({ try: () => run(tx), catch: failure(operation) }),
          (tx) =>
            // The connection goes back to the pool: leave it writable for whoever borrows it next.
            Effect.tryPromise({ try: () => tx.execute("PRAGMA query_only = OFF"), catch: failure(`${operation} (end)`) }).pipe(
              Effect.when(() => local),
              Effect.catchAll((error) => Effect.logWarning(error.message)),
              Effect.ensuring(Effect.sync(() => tx.close()))
            )
        )
      ).pipe(Effect.withSpan(`Database.readOnly ${operation}`))

    if (local) {
      // Readers (`sqlite3`, a status query) never block a sync, nor a sync them.
      yield* query("open", (orm) => orm.run("PRAGMA journal_mode = WAL"))
    }

    return { query, transaction, readOnly } satisfies Service
  })

/** The mirror database for `options`, open for the layer's lifetime. */
export const layer = (options: MirrorDatabaseOptions): Layer.Layer<MirrorDatabase, DatabaseError | DatabaseMissing> =>
  Layer.scoped(MirrorDatabase, make(options))

/** Reads `PICASYNC_DB` (default `file:picasync.db`) and `PICASYNC_DB_AUTH_TOKEN` from the environment (or the current `ConfigProvider`). */
export const layerConfig = (
  options: Omit<MirrorDatabaseOptions, "url" | "authToken"> = {}
): Layer.Layer<MirrorDatabase, DatabaseError | DatabaseMissing | ConfigError.ConfigError> =>
  Layer.scoped(
    MirrorDatabase,
    Effect.gen(function*() {
      const url = yield* Config.string("PICASYNC_DB").pipe(Config.withDefault("file:picasync.db"))
      const authToken = yield* Config.option(Config.redacted("PICASYNC_DB_AUTH_TOKEN"))
      return yield* make({ ...options, url, ...(Option.isSome(authToken) ? { authToken: authToken.value } : {}) })
    })
  )

/** The mirror's database as an Effect service: `yield* MirrorDatabase`, provided by `MirrorDatabase.layer`. */
export class MirrorDatabase extends Context.Tag("@picasync/sync/MirrorDatabase")<MirrorDatabase, Service>() {
  static readonly make = make
  static readonly layer = layer
  static readonly layerConfig = layerConfig
}
