import type { Client, Config as ClientConfig, InValue, Transaction } from "@libsql/client"
import { UrlCredentials } from "@picasync/client"
import type { LibSQLDatabase } from "drizzle-orm/libsql/driver-core"
// Drizzle's entry over the native client only; it is handed a client, of a file or of a server.
import { drizzle } from "drizzle-orm/libsql/sqlite3"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  DatabaseError,
  type DatabaseFailure,
  DatabaseMissing,
  DatabaseUnreachable,
  failure as failureIn,
  type FailureContext
} from "./DatabaseError.js"
import { displayUrl, hranaEndpoint, localPath } from "./DatabaseUrl.js"
import { type BatchStatement, open as openPreparedFile } from "./PreparedFile.js"
import * as RowCursor from "./RowCursor.js"
import * as schema from "./schema.js"

export {
  DatabaseAuthError,
  DatabaseDiskFull,
  DatabaseError,
  DatabaseFailure,
  DatabaseMissing,
  DatabaseUnreachable
} from "./DatabaseError.js"
export type { BatchStatement } from "./PreparedFile.js"

/** Drizzle over the connection, or over the open transaction; `$client` runs raw SQL on the same one. */
export type Orm = LibSQLDatabase<typeof schema> & { readonly $client: Client }

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

const DEFAULT_TIMEOUT = Duration.minutes(2)
/** How long ending a transaction may take once the work in it failed or was interrupted. */
const END_WITHIN = Duration.seconds(3)

const checkExists = (options: MirrorDatabaseOptions) => {
  const replica = options.replica !== undefined
  const file = replica ? path.resolve(options.replica!.path) : localPath(options.url)
  return options.mustExist && file !== undefined && !fs.existsSync(file)
    ? Effect.fail(new DatabaseMissing({ path: file, ...(replica ? { replica } : {}) }))
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

/** `fetch` that gives up on a request after `millis`, so a silent server cannot hold a call forever. */
const fetchWithin = (millis: number) => (request: Request, init?: RequestInit) =>
  fetch(request, { ...init, signal: AbortSignal.timeout(millis) })

/** The file a command reads and writes: the database itself, or the local replica of a remote one. */
const fileUrl = (options: MirrorDatabaseOptions) =>
  options.replica === undefined ? options.url : `file:${path.resolve(options.replica.path)}`

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
    catch: failureIn(operation, context)
  })

const open = (options: MirrorDatabaseOptions, context: FailureContext, timeoutMillis: number) =>
  createClient({
    url: fileUrl(options),
    ...(options.authToken === undefined ? {} : { authToken: Redacted.value(options.authToken) }),
    timeout: BUSY_TIMEOUT_MILLIS,
    fetch: fetchWithin(timeoutMillis),
    // One connection: libSQL calls block the event loop, so a second in-process connection
    // waiting on the first one's write lock could never be released.
    concurrency: 1
  }, context, "open")

/** The transaction this fiber runs in, with Drizzle over it. */
interface OpenTransaction {
  readonly orm: Orm
  readonly tx: Transaction
}

/** Drizzle over a libSQL client or transaction, which runs statements exactly like a client does. */
const drizzleOver = (client: Client | Transaction): Orm => drizzle({ client: client as Client, schema })

/**
 * Brings the local replica up to date from the server, on a client of its own that is closed after:
 * reads then go to the replica as a plain file, where `PRAGMA query_only` holds and no statement is
 * ever forwarded to the server (an embedded replica sends writes to its primary).
 */
const refreshReplica = (options: MirrorDatabaseOptions, context: FailureContext) =>
  Effect.acquireUseRelease(
    createClient({
      url: fileUrl(options),
      syncUrl: options.url,
      ...(options.authToken === undefined ? {} : { authToken: Redacted.value(options.authToken) })
    }, context, "replica refresh"),
    (replica) => Effect.tryPromise({ try: () => replica.sync(), catch: failureIn("replica refresh", context) }),
    (replica) => Effect.sync(() => replica.close())
  )

/** The mirror's database: queries and transactions, as Effects, over Drizzle and libSQL. */
export interface Service {
  /** Where the database is, as messages may show it: a path, or a URL without credentials. */
  readonly location: string
  /** How long a remote call, or a wait on another sync, may take before it fails (`--db-timeout`). */
  readonly timeout: Duration.Duration
  /** Runs `run` on the open transaction of this fiber, else on its own; every call is serialised. */
  readonly query: <A>(operation: string, run: (orm: Orm) => Promise<A>) => Effect.Effect<A, DatabaseFailure>
  /**
   * Runs `effect` in one write transaction (`BEGIN IMMEDIATE`): committed if it succeeds, rolled back if
   * it fails or is interrupted. Rerun from the start if the database stays busy, or a libSQL server ends
   * it for a writer that waited too long, so `effect` must do nothing but database work. Inside another
   * transaction it is a savepoint of that one: undone alone if it fails, committed with the outer one.
   */
  readonly transaction: <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DatabaseFailure, R>
  /**
   * Runs `statements` in one write transaction of their own, all or nothing, rerun while the database
   * is busy; inside `transaction`, as a savepoint of it. On a local file each distinct statement is
   * prepared once and the batch runs in one call; on a libSQL server it is one request.
   */
  readonly batch: (operation: string, statements: ReadonlyArray<BatchStatement>) => Effect.Effect<void, DatabaseFailure>
  /**
   * Runs `run` in a read transaction that is always rolled back, or inside the open `transaction`; SQLite
   * refuses writes in it on a local file or replica (`PRAGMA query_only`), which a libSQL server does not
   * allow: see `cursor`.
   */
  readonly readOnly: <A>(operation: string, run: (tx: Transaction) => Promise<A>) => Effect.Effect<A, DatabaseFailure>
  /**
   * The rows of `sql`, a statement that only reads, as they come (`RowCursor`), until the scope closes.
   * A write fails with `SQLITE_READONLY` before it changes anything: refused by SQLite on a local file or
   * replica (`PRAGMA query_only`), by how the server compiles it on a libSQL server.
   */
  readonly cursor: (sql: string, args: Readonly<Record<string, InValue>>) => Effect.Effect<RowCursor.RowCursor, DatabaseFailure, Scope.Scope>
}

/**
 * Opens the mirror database: Drizzle over one `@libsql/client` connection, closed with the scope.
 * It does not migrate: provide `MirrorMigrations.layer` where the schema may be missing or old.
 */
export const make: (
  options: MirrorDatabaseOptions
) => Effect.Effect<Service, DatabaseFailure | DatabaseMissing, Scope.Scope> = Effect.fn("MirrorDatabase.open")(
  function*(options: MirrorDatabaseOptions) {
    const token = options.authToken === undefined ? undefined : Redacted.value(options.authToken)
    const location = displayUrl(options.url)
    const context: FailureContext = {
      at: location,
      secrets: [...UrlCredentials.secrets(options.url), ...(token === undefined ? [] : [token])],
      file: options.replica === undefined ? localPath(options.url) : path.resolve(options.replica.path),
      // A database that must exist is one a command opened to read (`Mirror.readable`).
      reading: options.mustExist === true
    }
    const failure = (operation: string) => failureIn(operation, context)
    const timeout = Duration.decode(options.timeout ?? DEFAULT_TIMEOUT)
    /** A call to the server without an answer in time fails, so a wedged server cannot hold a command forever. */
    const answeredInTime = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseUnreachable, R> =>
      Effect.timeoutFail(effect, {
        duration: timeout,
        onTimeout: () => new DatabaseUnreachable({ at: location, reason: `no answer within ${Duration.format(timeout)}` })
      })
    if (options.replica?.refresh === true) {
      yield* answeredInTime(refreshReplica(options, context))
    }
    yield* checkExists(options)
    const client = yield* Effect.acquireRelease(
      open(options, context, Duration.toMillis(timeout)),
      (client) => Effect.sync(() => client.close())
    )
    const orm = drizzleOver(client)
    const permit = yield* Effect.makeSemaphore(1)
    const currentTransaction = yield* FiberRef.make(Option.none<OpenTransaction>())
    const file = localPath(options.url) !== undefined
    const remote = !file && options.replica === undefined
    const timed = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseUnreachable, R> =>
      remote ? answeredInTime(effect) : effect
    const call = <A>(operation: string, run: () => Promise<A>) => timed(Effect.tryPromise({ try: run, catch: failure(operation) }))

    /** Per-connection settings, so set again on every fresh connection. */
    const pragmas = [`PRAGMA synchronous = ${SYNCHRONOUS}`, `PRAGMA cache_size = -${CACHE_KIB}`]
    const tune = async (connection: Client) => {
      if (!file) return
      for (const pragma of pragmas) await connection.execute(pragma)
    }

    /**
     * Another process holding the write lock past the busy timeout is waited out: 12 busy timeouts of
     * 5 s with backoff between, about 75 to 100 s.
     * libSQL leaves a statement that failed with SQLITE_BUSY open, which breaks the next commit on
     * that connection ("SQL statements in progress"), so each retry starts on a fresh connection.
     */
    let tuned = false
    /** Tunes a fresh connection first, inside the attempt, so a busy database costs one wait per attempt. */
    const tuneOnce = call("open", async () => {
      if (!tuned) await tune(client)
      tuned = true
    })
    const contended = (error: unknown) => error instanceof DatabaseError && (error.isBusy || error.isStolen)
    const waitOutContention = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.zipRight(tuneOnce, effect).pipe(
        Effect.tapError((error) =>
          error instanceof DatabaseError && error.isBusy
            ? call("reconnect", async () => await client.reconnect()).pipe(Effect.tap(() => Effect.sync(() => (tuned = false))))
            : Effect.void
        ),
        Effect.retry({
          while: contended,
          times: BUSY_RETRIES,
          // A server ends a transaction for a writer that waited: give that writer time to finish first.
          schedule: Schedule.exponential(Duration.millis(100)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(2))))
        })
      )

    /** `inside` the transaction this fiber has open, else `outside`. */
    const inOrOutsideTransaction = <A, E, R>(
      inside: (open: OpenTransaction) => Effect.Effect<A, E, R>,
      outside: () => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E, R> => Effect.flatMap(FiberRef.get(currentTransaction), Option.match({ onSome: inside, onNone: outside }))

    const query = <A>(operation: string, run: (orm: Orm) => Promise<A>): Effect.Effect<A, DatabaseFailure> =>
      inOrOutsideTransaction(
        (open) => call(operation, () => run(open.orm)),
        () => permit.withPermits(1)(waitOutContention(call(operation, () => run(orm))))
      )

    /** Rolls back explicitly, so a libSQL server ends it now rather than when the stream expires. */
    const end = (tx: Transaction) =>
      (tx.closed ? Effect.void : Effect.tryPromise(() => tx.rollback())).pipe(
        Effect.timeout(END_WITHIN),
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => tx.close()))
      )

    /**
     * Runs `use` in a transaction of `mode`, always ended by `end`. It opens interruptibly, so a command
     * stops while the server makes it wait for the write lock; one that opens after its caller was
     * interrupted is closed at once.
     */
    const inTransaction = <A, E, R>(operation: string, mode: "write" | "read", use: (tx: Transaction) => Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.interruptible(timed(Effect.tryPromise({
          try: (signal) =>
            client.transaction(mode).then((tx) => {
              if (signal.aborted) tx.close()
              return tx
            }),
          catch: failure(`${operation} (begin)`)
        }))),
        use,
        end
      )

    /**
     * `effect` inside the open transaction, as a savepoint: its writes are undone alone if it fails, and
     * the outer transaction goes on. It shares the outer transaction's connection and permit.
     */
    let savepoints = 0
    const savepoint = <A, E, R>(operation: string, { tx }: OpenTransaction, effect: Effect.Effect<A, E, R>) =>
      Effect.suspend(() => {
        const name = `picasync_savepoint_${++savepoints}`
        return Effect.zipRight(
          call(`${operation} (savepoint)`, () => tx.execute(`SAVEPOINT ${name}`)),
          effect.pipe(
            Effect.onError(() => Effect.ignore(call(`${operation} (rollback)`, () => tx.execute(`ROLLBACK TO ${name}`)))),
            Effect.zipLeft(call(`${operation} (release)`, () => tx.execute(`RELEASE ${name}`)))
          )
        )
      })

    const transaction = <A, E, R>(
      operation: string,
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | DatabaseFailure, R> =>
      inOrOutsideTransaction(
        (open) => savepoint(operation, open, effect),
        () =>
          permit.withPermits(1)(waitOutContention(
            inTransaction(operation, "write", (tx) =>
              effect.pipe(
                Effect.locally(currentTransaction, Option.some({ orm: drizzleOver(tx), tx })),
                Effect.zipLeft(call(`${operation} (commit)`, () => tx.commit()))
              ))
          ))
      ).pipe(Effect.withSpan(`Database.transaction ${operation}`))

    /** Runs `run` on `tx` with SQLite refusing writes on a local file or replica, then lets `tx` write again. */
    const queryOnly = <A>(operation: string, tx: Transaction, run: (tx: Transaction) => Promise<A>) =>
      remote ? call(operation, () => run(tx)) : Effect.zipRight(
        call(`${operation} (begin)`, () => tx.execute("PRAGMA query_only = ON")),
        call(operation, () => run(tx)).pipe(
          Effect.ensuring(Effect.ignore(call(`${operation} (end)`, () => tx.execute("PRAGMA query_only = OFF"))))
        )
      )

    // Inside a transaction it reads there: the permit and the connection are that transaction's.
    const readOnly = <A>(operation: string, run: (tx: Transaction) => Promise<A>): Effect.Effect<A, DatabaseFailure> =>
      inOrOutsideTransaction(
        (open) => queryOnly(operation, open.tx, run),
        () => permit.withPermits(1)(inTransaction(operation, "read", (tx) => queryOnly(operation, tx, run)))
      ).pipe(Effect.withSpan(`Database.readOnly ${operation}`))

    const preparedFile = file && options.replica === undefined
      ? yield* Effect.acquireRelease(
        Effect.sync(() => openPreparedFile(localPath(options.url)!, { busyTimeoutMillis: BUSY_TIMEOUT_MILLIS, pragmas })),
        (prepared) => Effect.sync(() => prepared.close())
      )
      : undefined

    const inStatements = (statements: ReadonlyArray<BatchStatement>) => statements as Array<BatchStatement & { args: Array<InValue> }>

    // The permit keeps it from waiting, event loop blocked, on this process's own open transaction; inside
    // one, it runs in it, as a savepoint, so the batch is still all or nothing.
    const batch = (operation: string, statements: ReadonlyArray<BatchStatement>): Effect.Effect<void, DatabaseFailure> =>
      inOrOutsideTransaction(
        (open) => savepoint(operation, open, call(operation, () => open.tx.batch(inStatements(statements)))),
        () =>
          permit.withPermits(1)(waitOutContention(
            preparedFile === undefined
              ? call(operation, () => client.batch(inStatements(statements), "write"))
              : Effect.try({ try: () => preparedFile.write(statements), catch: failure(operation) })
          ))
      ).pipe(Effect.asVoid, Effect.withSpan(`Database.batch ${operation}`))

    const cursor = (sql: string, args: Readonly<Record<string, InValue>>) =>
      (remote
        ? RowCursor.server(hranaEndpoint(options.url, token), sql, args, {
          timeoutMillis: Duration.toMillis(timeout),
          failure: failure("query"),
          within: answeredInTime
        })
        : RowCursor.file(localPath(fileUrl(options))!, sql, args, { busyTimeoutMillis: BUSY_TIMEOUT_MILLIS, failure: failure("query") }))
        .pipe(Effect.withSpan("Database.cursor"))

    if (file) {
      // Readers (`sqlite3`, a status query) never block a sync, nor a sync them.
      yield* query("open", (orm) => orm.run("PRAGMA journal_mode = WAL"))
    }

    return { location, timeout, query, transaction, batch, readOnly, cursor } satisfies Service
  }
)

/** The mirror database for `options`, open for the layer's lifetime. */
export const layer = (options: MirrorDatabaseOptions): Layer.Layer<MirrorDatabase, DatabaseFailure | DatabaseMissing> =>
  Layer.scoped(MirrorDatabase, make(options))

/** Reads `PICASYNC_DB` (default `file:picasync.db`) and `PICASYNC_DB_AUTH_TOKEN` from the environment (or the current `ConfigProvider`). */
export const layerConfig = (
  options: Omit<MirrorDatabaseOptions, "url" | "authToken"> = {}
): Layer.Layer<MirrorDatabase, DatabaseFailure | DatabaseMissing | ConfigError.ConfigError> =>
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
