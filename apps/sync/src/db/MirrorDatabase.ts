import type { Client, InValue, Transaction } from "@libsql/client"
import { UrlCredentials } from "@picasync/client"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { type DatabaseFailure, type DatabaseMissing, DatabaseUnreachable, failure as failureIn, type FailureContext } from "./DatabaseError.js"
import { displayUrl, hranaEndpoint, localPath } from "./DatabaseUrl.js"
import * as Migrate from "./Migrate.js"
import { BUSY_TIMEOUT_MILLIS, checkExists, DEFAULT_TIMEOUT, localFile, type MirrorDatabaseOptions, open, PAGE_BYTES, refreshReplica } from "./Open.js"
import * as RowCursor from "./RowCursor.js"
import { type Orm, make as makeSession } from "./Session.js"
import type { Statement } from "./Statement.js"

export {
  ApplyWaitTimeoutError,
  DatabaseAuthError,
  DatabaseDiskFull,
  DatabaseError,
  DatabaseFailure,
  DatabaseMissing,
  DatabaseUnreachable
} from "./DatabaseError.js"
export type { MirrorDatabaseOptions } from "./Open.js"
export type { BatchStatement } from "./PreparedFile.js"
export type { Orm } from "./Session.js"
export type { Statement } from "./Statement.js"

/**
 * The mirror's database, with the semantics of `@effect/sql`'s `LibsqlClient`: one connection whose
 * calls are serialised, the open transaction carried by the fiber (a transaction inside it is a
 * savepoint), a span on every statement. The engine runs its SQL with `execute`, `batch` and
 * `transaction`; Drizzle (`query`) stays for migrations and embedders' queries.
 */
export interface Service {
  /** Where the database is, as messages may show it: a path, or a URL without credentials. */
  readonly location: string
  /** How long a remote call, or a wait on another sync, may take before it fails (`--db-timeout`). */
  readonly timeout: Duration.Duration
  /**
   * Runs one statement on the open transaction of this fiber, else on its own (rerun while another
   * process holds the write lock), and returns its rows as objects keyed by column.
   */
  readonly execute: <Row = Record<string, unknown>>(
    operation: string,
    statement: Statement
  ) => Effect.Effect<ReadonlyArray<Row>, DatabaseFailure>
  /**
   * Runs `statements` in one write transaction of their own, all or nothing, rerun while the database
   * is busy; inside `transaction`, as a savepoint of it. On a local file each distinct statement is
   * prepared once and the batch runs in one call; on a libSQL server it is one request.
   */
  readonly batch: (operation: string, statements: ReadonlyArray<Statement>) => Effect.Effect<void, DatabaseFailure>
  /**
   * Runs `effect` in one write transaction (`BEGIN IMMEDIATE`): committed if it succeeds, rolled back if
   * it fails or is interrupted. Rerun from the start if the database stays busy, or a libSQL server ends
   * it for a writer that waited too long, so `effect` must do nothing but database work. Inside another
   * transaction it is a savepoint of that one: undone alone if it fails, committed with the outer one.
   */
  readonly transaction: <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DatabaseFailure, R>
  /** Runs `run` with Drizzle on the open transaction of this fiber, else on its own: migrations and embedders' queries. */
  readonly query: <A>(operation: string, run: (orm: Orm) => Promise<A>) => Effect.Effect<A, DatabaseFailure>
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
  readonly cursor: (
    sql: string,
    args: Readonly<Record<string, InValue>>
  ) => Effect.Effect<RowCursor.RowCursor, DatabaseFailure, Scope.Scope>
  /**
   * `effect`, with each call it makes outside a transaction (all but `readOnly`) waiting first on `gate`,
   * itself run without it: the rule that a sync's writes yield to another sync's apply, kept in the write
   * path so that no writer has to remember it.
   */
  readonly yieldingTo: (gate: Effect.Effect<void, DatabaseFailure>) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * Opens the mirror database: one `@libsql/client` connection, closed with the scope. It does not
 * migrate: `layerMigrated` does, where the schema may be missing or old.
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
      file: localFile(options),
      // A database that must exist is one a command opened to read (`Mirror.readable`).
      reading: options.mustExist === true
    }
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
    const failure = (operation: string) => failureIn(operation, context)
    const client: Client = yield* open(options, context, Duration.toMillis(timeout))
    const file = localPath(options.url) !== undefined
    const remote = !file && options.replica === undefined
    const session = yield* makeSession({
      client,
      failure,
      timed: remote ? answeredInTime : (effect) => effect,
      localFile: options.replica === undefined ? localPath(options.url) : undefined,
      queryOnly: !remote
    })
    const readFile = localFile(options)
    const cursor = (sql: string, args: Readonly<Record<string, InValue>>) =>
      (readFile === undefined
        ? RowCursor.server(hranaEndpoint(options.url, token), sql, args, {
          timeoutMillis: Duration.toMillis(timeout),
          failure: failure("query"),
          within: answeredInTime
        })
        : RowCursor.file(readFile, sql, args, { busyTimeoutMillis: BUSY_TIMEOUT_MILLIS, failure: failure("query") }))
        .pipe(Effect.withSpan("Database.cursor"))

    if (file) {
      // Before anything is written: the page size of a file is fixed by its first write.
      yield* session.execute("open", { sql: `PRAGMA page_size = ${PAGE_BYTES}`, args: [] })
      // Readers (`sqlite3`, a status query) never block a sync, nor a sync them.
      yield* session.execute("open", { sql: "PRAGMA journal_mode = WAL", args: [] })
    }

    return { location, timeout, ...session.service, cursor } satisfies Service
  }
)

/** The mirror database for `options`, open for the layer's lifetime. */
export const layer = (options: MirrorDatabaseOptions): Layer.Layer<MirrorDatabase, DatabaseFailure | DatabaseMissing> =>
  Layer.scoped(MirrorDatabase, make(options))

/**
 * The mirror database for `options`, its schema brought up to date from the migrations the package
 * ships (or `folder`) before anything uses it: what a program that syncs into it provides.
 */
export const layerMigrated = (
  options: MirrorDatabaseOptions & { readonly folder?: string | undefined }
): Layer.Layer<MirrorDatabase, DatabaseFailure | DatabaseMissing> =>
  Layer.scoped(MirrorDatabase, Effect.tap(make(options), (db) => Migrate.run(db, options.folder ?? Migrate.packagedFolder)))

/** The options of `PICASYNC_DB` (default `file:picasync.db`) and `PICASYNC_DB_AUTH_TOKEN`, with `options` for the rest. */
const fromConfig = <O extends Omit<MirrorDatabaseOptions, "url" | "authToken">>(options: O) =>
  Effect.gen(function*() {
    const url = yield* Config.string("PICASYNC_DB").pipe(Config.withDefault("file:picasync.db"))
    const authToken = yield* Config.option(Config.redacted("PICASYNC_DB_AUTH_TOKEN"))
    return { ...options, url, ...(Option.isSome(authToken) ? { authToken: authToken.value } : {}) }
  })

/** Reads `PICASYNC_DB` (default `file:picasync.db`) and `PICASYNC_DB_AUTH_TOKEN` from the environment (or the current `ConfigProvider`). */
export const layerConfig = (
  options: Omit<MirrorDatabaseOptions, "url" | "authToken"> = {}
): Layer.Layer<MirrorDatabase, DatabaseFailure | DatabaseMissing | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(fromConfig(options), layer))

/** `layerMigrated` over `PICASYNC_DB` and `PICASYNC_DB_AUTH_TOKEN`, as `layerConfig` reads them. */
export const layerConfigMigrated = (
  options: Omit<MirrorDatabaseOptions, "url" | "authToken"> & { readonly folder?: string | undefined } = {}
): Layer.Layer<MirrorDatabase, DatabaseFailure | DatabaseMissing | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(fromConfig(options), layerMigrated))

/** The mirror's database as an Effect service: `yield* MirrorDatabase`, provided by `MirrorDatabase.layerMigrated`. */
export class MirrorDatabase extends Context.Tag("@picasync/sync/MirrorDatabase")<MirrorDatabase, Service>() {
  static readonly make = make
  static readonly layer = layer
  static readonly layerMigrated = layerMigrated
  static readonly layerConfig = layerConfig
  static readonly layerConfigMigrated = layerConfigMigrated
}
