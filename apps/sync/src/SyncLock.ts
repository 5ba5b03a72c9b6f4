import { type SQL, sql } from "drizzle-orm"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { ApplyWaitTimeoutError, type DatabaseFailure, MirrorDatabase, type Service as Database } from "./db/MirrorDatabase.js"
import * as Machine from "./Machine.js"

export { ApplyWaitTimeoutError } from "./db/MirrorDatabase.js"

/** How often the holder refreshes its lock. */
export const HEARTBEAT_EVERY = Duration.seconds(10)
/** A lock not refreshed for this long is taken over, whoever holds it. */
export const STALE_AFTER = Duration.minutes(2)
/** How often a waiting sync reads the lock again; waiting never writes. */
const WAIT_POLL = Duration.seconds(1)
/** How often a sync holding back its writes reads whether another source's apply has ended. */
const APPLY_POLL = Duration.millis(250)
/** Another live sync of the same source holds the lock. */
export class SyncLockHeldError extends Schema.TaggedError<SyncLockHeldError>()("SyncLockHeldError", {
  source: Schema.String,
  pid: Schema.Number,
  hostname: Schema.String,
  since: Schema.String
}) {
  override get message() {
    return `another sync of source "${this.source}" is running (pid ${this.pid} on ${this.hostname}, since ${this.since}); let it finish`
  }
}

/** The lock was taken over while this sync held it: it stalled past the stale limit. */
export class SyncLockLostError extends Schema.TaggedError<SyncLockLostError>()("SyncLockLostError", {
  source: Schema.String
}) {
  override get message() {
    return `this sync of source "${this.source}" lost its lock to another sync after stalling for over ${Duration.format(STALE_AFTER)}; it changed nothing, run it again`
  }
}

export interface Lock {
  readonly source: string
  /** Random per acquisition: only this holder refreshes, checks or releases the row. */
  readonly holder: string
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Now on the database's clock (the server's, for a remote one), as ISO 8601 like every timestamp column. */
const databaseNow = sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`

/** A lock row, and milliseconds since its last heartbeat on the database's clock, so skewed machine clocks agree. */
interface Holder {
  readonly source: string
  readonly holder: string
  readonly pid: number
  readonly hostname: string
  readonly machine: string | null
  readonly acquiredAt: string
  readonly ageMillis: number
}

const holders = (where: SQL) =>
  Effect.flatMap(MirrorDatabase, (db) =>
    db.execute<Holder>(
      "lock",
      sql`SELECT source, holder, pid, hostname, machine, acquired_at AS acquiredAt,
        CAST((julianday('now') - julianday(heartbeat_at)) * 86400000 AS INTEGER) AS ageMillis
      FROM sync_locks WHERE ${where}`
    ))

/**
 * The locks this process holds. A row naming this process but none of these was left by a release that
 * could not be written (a full disk): this process's next sync takes it over rather than wait it out.
 */
const heldHere = new Set<string>()

/** Whether the process `holder` names runs and, when it is this one, still holds that lock. */
const holderRuns = (holder: Holder) => holder.pid === process.pid ? heldHere.has(holder.holder) : isRunning(holder.pid)

/** A holder is alive while its heartbeat is fresh and, when its process is one this one can check, that process holds it. */
const isAlive = (holder: Holder) =>
  holder.ageMillis < Duration.toMillis(STALE_AFTER) && (holder.machine !== Machine.id() || holderRuns(holder))

const liveHolder = (source: string) =>
  Effect.map(holders(sql`source = ${source}`), ([holder]) => (holder !== undefined && isAlive(holder) ? holder : undefined))

const heldBy = (source: string, holder: Holder) =>
  new SyncLockHeldError({ source, pid: holder.pid, hostname: holder.hostname, since: holder.acquiredAt })

/** Takes the lock unless a live holder has it; run in a write transaction, so two takers cannot both win. */
const claim = (source: string) =>
  Effect.gen(function*() {
    const db = yield* MirrorDatabase
    const current = yield* liveHolder(source)
    if (current !== undefined) return yield* heldBy(source, current)
    const holder = randomUUID()
    yield* db.execute(
      "lock",
      sql`INSERT OR REPLACE INTO sync_locks (source, holder, pid, hostname, machine, acquired_at, heartbeat_at, applying_since)
        VALUES (${source}, ${holder}, ${process.pid}, ${hostname()}, ${Machine.id()}, ${databaseNow}, ${databaseNow}, NULL)`
    )
    return { source, holder } satisfies Lock
  })

const tryAcquire = (source: string): Effect.Effect<Lock, SyncLockHeldError | DatabaseFailure, MirrorDatabase> =>
  Effect.flatMap(MirrorDatabase, (db) => db.transaction("lock", claim(source))).pipe(
    Effect.tap((lock) => Effect.sync(() => heldHere.add(lock.holder)))
  )

const whereHeld = (lock: Lock) => sql`source = ${lock.source} AND holder = ${lock.holder}`

/** The source of a live sync of another source that is applying its run, if any. */
const otherApplying = (source: string) =>
  Effect.map(
    holders(sql`source <> ${source} AND applying_since IS NOT NULL`),
    (applying) => applying.find(isAlive)?.source
  )

/**
 * Waits, reading only, while a live sync of another source applies its run, for at most the database's
 * timeout. A libSQL server ends a transaction older than 5 s when another writer waits on it, so a sync
 * holds back its writes (staging, heartbeats, its own apply) rather than cost the other one its apply.
 */
const awaitApplies = (source: string, db: Database) => {
  let applying: string | undefined
  return Effect.repeat(otherApplying(source), {
    while: (other) => (applying = other) !== undefined,
    schedule: Schedule.spaced(APPLY_POLL)
  }).pipe(
    Effect.timeoutFail({
      duration: db.timeout,
      onTimeout: () => new ApplyWaitTimeoutError({ source, applying, waited: Duration.format(db.timeout) })
    }),
    Effect.provideService(MirrorDatabase, db),
    Effect.withSpan("SyncLock.awaitApplies")
  )
}

/** `effect`, with each of its database calls outside a transaction held back while another source's sync applies its run. */
export const yieldingToApplies = (source: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(MirrorDatabase, (db) => db.yieldingTo(awaitApplies(source, db))(effect))

const heartbeat = (lock: Lock) =>
  Effect.flatMap(MirrorDatabase, (db) =>
    db.execute("lock heartbeat", sql`UPDATE sync_locks SET heartbeat_at = ${databaseNow} WHERE ${whereHeld(lock)}`)).pipe(Effect.catchAll((error) => Effect.logWarning(`could not refresh the sync lock: ${error.message}`)))

const release = (lock: Lock) =>
  Effect.flatMap(MirrorDatabase, (db) => db.execute("lock release", sql`DELETE FROM sync_locks WHERE ${whereHeld(lock)}`)).pipe(
    Effect.catchAll((error) => Effect.logWarning(`could not release the sync lock: ${error.message}`)),
    Effect.ensuring(Effect.sync(() => heldHere.delete(lock.holder)))
  )

/** Polls, reading only, until no live sync holds the lock of `source`. Interruptible: a waiting command stops on SIGINT. */
const untilFree = (source: string) =>
  Effect.repeat(liveHolder(source), { while: (holder) => holder !== undefined, schedule: Schedule.spaced(WAIT_POLL) })

/**
 * Holds the lock of `source` for the scope, refreshing it in the background. Fails fast with
 * `SyncLockHeldError` when a live sync holds it, or with `wait` queues until it is free.
 */
export const hold = Effect.fn("SyncLock.hold")(function*(source: string, options: { readonly wait: boolean }) {
  // Read first, and write only when the lock looks free: a claim waiting on a server's write lock would end another sync's apply.
  const take = Effect.flatMap(liveHolder(source), (holder) =>
    holder === undefined
      ? Effect.acquireRelease(tryAcquire(source), release)
      : heldBy(source, holder))
  const lock = yield* take.pipe(
    Effect.catchTag("SyncLockHeldError", (held) =>
      options.wait
        ? Effect.logInfo(`waiting: ${held.message}`).pipe(
          Effect.zipRight(Effect.retry(Effect.zipRight(untilFree(source), take), {
            while: (error) => error._tag === "SyncLockHeldError"
          }))
        )
        : Effect.fail(held))
  )
  yield* Effect.forkScoped(Effect.repeat(heartbeat(lock), Schedule.spaced(HEARTBEAT_EVERY)))
  return lock
})

/**
 * Marks `lock` as applying, once no other source's sync is applying: from then on other syncs hold
 * back their writes (`yieldingToApplies`) until the apply commits (`finishApply`) or the lock is released.
 */
export const startApply = Effect.fn("SyncLock.startApply")(function*(lock: Lock) {
  const db = yield* MirrorDatabase
  const mark = db.transaction(
    "lock",
    Effect.gen(function*() {
      if ((yield* otherApplying(lock.source)) !== undefined) return false
      yield* db.execute("lock", sql`UPDATE sync_locks SET applying_since = ${databaseNow} WHERE ${whereHeld(lock)}`)
      return true
    })
  )
  yield* Effect.repeat(mark, { until: (marked) => marked })
})

/** Clears the applying mark; run it in the apply's transaction, so it clears at commit. */
export const finishApply = Effect.fn("SyncLock.finishApply")(function*(lock: Lock) {
  const db = yield* MirrorDatabase
  yield* db.execute("lock", sql`UPDATE sync_locks SET applying_since = NULL WHERE ${whereHeld(lock)}`)
})

/** Fails unless `lock` is still held; inside the mirror transaction, no one can take it over until commit. */
export const verify = Effect.fn("SyncLock.verify")(function*(lock: Lock) {
  const db = yield* MirrorDatabase
  const [held] = yield* db.execute("lock", sql`SELECT source FROM sync_locks WHERE ${whereHeld(lock)}`)
  if (held === undefined) return yield* new SyncLockLostError({ source: lock.source })
})
