import { and, eq } from "drizzle-orm"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { MirrorDatabase, type DatabaseError } from "./db/MirrorDatabase.js"
import { syncLocks } from "./db/schema.js"
import { isoNow } from "./Now.js"

/** How often the holder refreshes its lock. */
export const HEARTBEAT_EVERY = Duration.seconds(10)
/** A lock not refreshed for this long is taken over, whoever holds it. */
export const STALE_AFTER = Duration.minutes(2)
const WAIT_POLL = Duration.seconds(1)

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

/** A holder is alive while its heartbeat is fresh and, on this host, its process still runs. */
const isAlive = (lock: typeof syncLocks.$inferSelect, nowMillis: number) =>
  nowMillis - Date.parse(lock.heartbeatAt) < Duration.toMillis(STALE_AFTER) &&
  (lock.hostname !== hostname() || isRunning(lock.pid))

/** Takes the lock unless a live holder has it; run in a write transaction, so two takers cannot both win. */
const claim = (source: string) =>
  Effect.gen(function*() {
    const db = yield* MirrorDatabase
    const now = yield* isoNow
    const [current] = yield* db.query("lock", (orm) => orm.select().from(syncLocks).where(eq(syncLocks.source, source)))
    if (current !== undefined && isAlive(current, Date.parse(now))) {
      return yield* new SyncLockHeldError({ source, pid: current.pid, hostname: current.hostname, since: current.acquiredAt })
    }
    const row = { source, holder: randomUUID(), pid: process.pid, hostname: hostname(), acquiredAt: now, heartbeatAt: now }
    yield* db.query("lock", (orm) => orm.insert(syncLocks).values(row).onConflictDoUpdate({ target: syncLocks.source, set: row }))
    return { source, holder: row.holder } satisfies Lock
  })

const tryAcquire = (source: string): Effect.Effect<Lock, SyncLockHeldError | DatabaseError, MirrorDatabase> =>
  Effect.flatMap(MirrorDatabase, (db) => db.transaction("lock", claim(source)))

const whereHeld = (lock: Lock) => and(eq(syncLocks.source, lock.source), eq(syncLocks.holder, lock.holder))

const heartbeat = (lock: Lock) =>
  Effect.gen(function*() {
    const db = yield* MirrorDatabase
    const now = yield* isoNow
    yield* db.query("lock heartbeat", (orm) => orm.update(syncLocks).set({ heartbeatAt: now }).where(whereHeld(lock)))
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`could not refresh the sync lock: ${error.message}`)))

const release = (lock: Lock) =>
  Effect.flatMap(MirrorDatabase, (db) => db.query("lock release", (orm) => orm.delete(syncLocks).where(whereHeld(lock)))).pipe(
    Effect.catchAll((error) => Effect.logWarning(`could not release the sync lock: ${error.message}`))
  )

/**
 * Holds the lock of `source` for the scope, refreshing it in the background. Fails fast with
 * `SyncLockHeldError` when a live sync holds it, or with `wait` queues until it is free.
 */
export const hold = Effect.fn("SyncLock.hold")(function*(source: string, options: { readonly wait: boolean }) {
  const acquire = tryAcquire(source).pipe(
    Effect.catchTag("SyncLockHeldError", (held) =>
      options.wait
        ? Effect.logInfo(`waiting: ${held.message}`).pipe(
          Effect.zipRight(Effect.retry(tryAcquire(source), {
            while: (error) => error._tag === "SyncLockHeldError",
            schedule: Schedule.spaced(WAIT_POLL)
          }))
        )
        : Effect.fail(held))
  )
  const lock = yield* Effect.acquireRelease(acquire, release)
  yield* Effect.forkScoped(Effect.repeat(heartbeat(lock), Schedule.spaced(HEARTBEAT_EVERY)))
  return lock
})

/** Fails unless `lock` is still held; inside the mirror transaction, no one can take it over until commit. */
export const verify = Effect.fn("SyncLock.verify")(function*(lock: Lock) {
  const db = yield* MirrorDatabase
  const [held] = yield* db.query("lock", (orm) => orm.select({ source: syncLocks.source }).from(syncLocks).where(whereHeld(lock)))
  if (held === undefined) return yield* new SyncLockLostError({ source: lock.source })
})
