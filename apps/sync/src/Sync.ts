import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import type { ChangeKind } from "./db/schema.js"
import * as Mirror from "./Mirror.js"
import { isoNow } from "./Now.js"
import * as Scan from "./Scan.js"
import * as Staging from "./Staging.js"
import * as SyncLock from "./SyncLock.js"
import * as SyncRun from "./SyncRun.js"

export interface SyncOptions extends Scan.FetchOptions {
  readonly source: string
  /** Queue behind a running sync of the same source instead of failing. */
  readonly wait: boolean
  /** The kinds of change queued as notifications with the mirror's changes. */
  readonly notify?: ReadonlyArray<ChangeKind> | undefined
}

/** The one-line reason a run failed, as `sync_runs.error` keeps it. */
const failureMessage = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted (SIGINT, SIGTERM or shutdown) before it finished; the mirror is unchanged"
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

/** Records a run that failed or was interrupted; a failure to record it is logged, and the run's own failure stands. */
const recordFailure = (runId: number, fetched: Effect.Effect<SyncRun.FetchStats>, cause: Cause.Cause<unknown>) =>
  Effect.flatMap(fetched, (stats) =>
    SyncRun.fail(runId, {
      status: Cause.isInterruptedOnly(cause) ? "interrupted" : "failed",
      fetched: stats,
      error: failureMessage(cause)
    })).pipe(Effect.catchAll((error) => Effect.logError(`could not record the end of run ${runId}: ${error.message}`)))

/**
 * One sync of `options.source`: take the source's lock, record a run, stage the whole inventory in a
 * table of the run's own, then apply it in one transaction, which also records the run as succeeded.
 * Whatever fails before commit leaves the mirror as it was and the run recorded as failed. Every call
 * the run makes to the database outside a transaction yields to another source's apply. Returns the
 * run as committed.
 */
export const run = Effect.fn("Sync.run")(function*(options: SyncOptions) {
  const db = yield* MirrorDatabase
  const { source } = options
  return yield* Effect.scoped(Effect.gen(function*() {
    const lock = yield* SyncLock.hold(source, { wait: options.wait })
    const runId = yield* SyncRun.start(source)
    const scan = yield* Scan.make(options)
    return yield* Effect.gen(function*() {
      const staging = yield* Staging.make(runId, source)
      const fetched = yield* scan.inventory(staging)
      const now = yield* isoNow
      yield* SyncLock.startApply(lock)
      // The run's record is written in the apply's transaction: it commits with the changes, or neither does.
      return yield* db.transaction(
        "mirror",
        Effect.gen(function*() {
          yield* SyncLock.verify(lock)
          yield* Effect.logDebug(`run ${runId}: applying in one transaction, which holds the database's write lock`)
          // Missing rows are tombstoned only when the scan proved them gone.
          const counts = yield* Mirror.apply({ staging, now, tombstone: fetched.complete, notify: options.notify })
          const recorded = yield* SyncRun.finish(runId, fetched, counts)
          yield* SyncLock.finishApply(lock)
          return recorded
        })
      ).pipe(Effect.zipLeft(Effect.logDebug(`run ${runId}: committed, with its record in sync_runs`)))
    }).pipe(Effect.onError((cause) => recordFailure(runId, scan.fetchedSoFar, cause)))
  })).pipe(SyncLock.yieldingToApplies(source))
})
