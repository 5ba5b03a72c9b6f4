import type { Client, InValue, Transaction } from "@libsql/client"
import type { LibSQLDatabase } from "drizzle-orm/libsql/driver-core"
// Drizzle's entry over the native client only; it is handed a client, of a file or of a server.
import { drizzle } from "drizzle-orm/libsql/sqlite3"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { DatabaseError, type DatabaseFailure } from "./DatabaseError.js"
import { BUSY_TIMEOUT_MILLIS, PRAGMAS } from "./Open.js"
import { open as openPreparedFile } from "./PreparedFile.js"
import * as schema from "./schema.js"
import { objects, render, spanAttributes, type Statement } from "./Statement.js"

/** Drizzle over the connection, or over the open transaction; `$client` runs raw SQL on the same one. */
export type Orm = LibSQLDatabase<typeof schema> & { readonly $client: Client }

/** How long ending a transaction may take once the work in it failed or was interrupted. */
const END_WITHIN = Duration.seconds(3)
const BUSY_RETRIES = 11

/** The transaction this fiber runs in, with Drizzle over it. */
interface OpenTransaction {
  readonly orm: Orm
  readonly tx: Transaction
}

/** Drizzle over a libSQL client or transaction, which runs statements exactly like a client does. */
const drizzleOver = (client: Client | Transaction): Orm => drizzle({ client: client as Client, schema })

export interface SessionOptions {
  readonly client: Client
  readonly failure: (operation: string) => (cause: unknown) => DatabaseFailure
  /** Bounds a call to a server; the identity for a local file. */
  readonly timed: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DatabaseFailure, R>
  /** The local mirror file the connection is to (not a replica), which takes per-connection pragmas and prepared batches. */
  readonly localFile: string | undefined
  /** Whether SQLite enforces `PRAGMA query_only` here (a local file or replica, not a server). */
  readonly queryOnly: boolean
}

/**
 * How calls run on the one connection: serialised by a permit, on the fiber's open transaction when it
 * has one, retried past another process's write lock, each statement in a span of its own.
 */
export const make = Effect.fnUntraced(function*(options: SessionOptions) {
  const { client, failure, timed } = options
  const orm = drizzleOver(client)
  const permit = yield* Effect.makeSemaphore(1)
  const currentTransaction = yield* FiberRef.make(Option.none<OpenTransaction>())
  const currentGate = yield* FiberRef.make(Option.none<Effect.Effect<void, DatabaseFailure>>())
  const call = <A>(operation: string, run: () => Promise<A>) => timed(Effect.tryPromise({ try: run, catch: failure(operation) }))

  /**
   * Another process holding the write lock past the busy timeout is waited out: 12 busy timeouts of
   * 5 s with backoff between, about 75 to 100 s.
   * libSQL leaves a statement that failed with SQLITE_BUSY open, which breaks the next commit on
   * that connection ("SQL statements in progress"), so each retry starts on a fresh connection,
   * tuned first, inside the attempt, so a busy database costs one wait per attempt.
   */
  let tuned = options.localFile === undefined
  const tuneOnce = call("open", async () => {
    if (!tuned) for (const pragma of PRAGMAS) await client.execute(pragma)
    tuned = true
  })
  const contended = (error: unknown) => error instanceof DatabaseError && (error.isBusy || error.isStolen)
  const waitOutContention = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.zipRight(tuneOnce, effect).pipe(
      Effect.tapError((error) =>
        error instanceof DatabaseError && error.isBusy
          ? call("reconnect", async () => await client.reconnect()).pipe(
            Effect.tap(() => Effect.sync(() => (tuned = options.localFile === undefined)))
          )
          : Effect.void
      ),
      Effect.retry({
        while: contended,
        times: BUSY_RETRIES,
        // A server ends a transaction for a writer that waited: give that writer time to finish first.
        schedule: Schedule.exponential(Duration.millis(100)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(2))))
      })
    )

  /** The gate this fiber's calls wait on, run without itself (its own reads pass freely). */
  const passGate = Effect.flatMap(
    FiberRef.get(currentGate),
    Option.match({ onNone: () => Effect.void, onSome: (gate) => Effect.locally(gate, currentGate, Option.none()) })
  )
  const yieldingTo = (gate: Effect.Effect<void, DatabaseFailure>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.locally(effect, currentGate, Option.some(gate))

  /** `inside` the transaction this fiber has open, else `outside`, alone on the connection, past the gate. */
  const inOrOutside = <A, E, R>(
    inside: (open: OpenTransaction) => Effect.Effect<A, E, R>,
    outside: () => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | DatabaseFailure, R> =>
    Effect.flatMap(
      FiberRef.get(currentTransaction),
      Option.match({ onSome: inside, onNone: () => Effect.zipRight(passGate, permit.withPermits(1)(waitOutContention(outside()))) })
    )

  const execute = <Row = Record<string, unknown>>(operation: string, statement: Statement) => {
    const rendered = render(statement)
    return inOrOutside(
      (open) => call(operation, () => open.tx.execute(rendered)),
      () => call(operation, () => client.execute(rendered))
    ).pipe(
      Effect.map((result) => objects<Row>(result)),
      Effect.withSpan(`Database.execute ${operation}`, { attributes: spanAttributes(rendered.sql) })
    )
  }

  const query = <A>(operation: string, run: (orm: Orm) => Promise<A>): Effect.Effect<A, DatabaseFailure> =>
    inOrOutside((open) => call(operation, () => run(open.orm)), () => call(operation, () => run(orm))).pipe(
      Effect.withSpan(`Database.query ${operation}`)
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

  const transaction = <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseFailure, R> =>
    inOrOutside(
      (open) => savepoint(operation, open, effect),
      () =>
        inTransaction(operation, "write", (tx) =>
          effect.pipe(
            Effect.locally(currentTransaction, Option.some({ orm: drizzleOver(tx), tx })),
            Effect.zipLeft(call(`${operation} (commit)`, () => tx.commit()))
          ))
    ).pipe(Effect.withSpan(`Database.transaction ${operation}`))

  /** Runs `run` on `tx` with SQLite refusing writes on a local file or replica, then lets `tx` write again. */
  const queryOnly = <A>(operation: string, tx: Transaction, run: (tx: Transaction) => Promise<A>) =>
    !options.queryOnly ? call(operation, () => run(tx)) : Effect.zipRight(
      call(`${operation} (begin)`, () => tx.execute("PRAGMA query_only = ON")),
      call(operation, () => run(tx)).pipe(
        Effect.ensuring(Effect.ignore(call(`${operation} (end)`, () => tx.execute("PRAGMA query_only = OFF"))))
      )
    )

  // Inside a transaction it reads there: the permit and the connection are that transaction's. Reads
  // never wait on the gate: they hold back no one.
  const readOnly = <A>(operation: string, run: (tx: Transaction) => Promise<A>): Effect.Effect<A, DatabaseFailure> =>
    Effect.flatMap(
      FiberRef.get(currentTransaction),
      Option.match({
        onSome: (open) => queryOnly(operation, open.tx, run),
        onNone: () => permit.withPermits(1)(inTransaction(operation, "read", (tx) => queryOnly(operation, tx, run)))
      })
    ).pipe(Effect.withSpan(`Database.readOnly ${operation}`))

  const { localFile } = options
  const preparedFile = localFile === undefined ? undefined : yield* Effect.acquireRelease(
    Effect.sync(() => openPreparedFile(localFile, { busyTimeoutMillis: BUSY_TIMEOUT_MILLIS, pragmas: PRAGMAS })),
    (prepared) => Effect.sync(() => prepared.close())
  )

  // The permit keeps it from waiting, event loop blocked, on this process's own open transaction; inside
  // one, it runs in it, as a savepoint, so the batch is still all or nothing.
  const batch = (operation: string, statements: ReadonlyArray<Statement>): Effect.Effect<void, DatabaseFailure> => {
    const rendered = statements.map(render) as Array<{ sql: string; args: Array<InValue> }>
    return inOrOutside(
      (open) => savepoint(operation, open, call(operation, () => open.tx.batch(rendered))),
      () =>
        preparedFile === undefined
          ? call(operation, () => client.batch(rendered, "write"))
          : Effect.try({ try: () => preparedFile.write(rendered), catch: failure(operation) })
    ).pipe(
      Effect.asVoid,
      Effect.withSpan(`Database.batch ${operation}`, { attributes: { ...spanAttributes(rendered[0]?.sql ?? ""), "db.statements": rendered.length } })
    )
  }

  return { call, execute, service: { execute, batch, transaction, query, readOnly, yieldingTo } }
})
