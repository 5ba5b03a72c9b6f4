import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import type { ChangeKind } from "./db/schema.js"
import * as Scan from "./Scan.js"
import * as Mirror from "./Mirror.js"
import { isoNow } from "./Now.js"
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

const noneFetched: SyncRun.FetchStats = {
  pagesFetched: 0,
  rowsFetched: 0,
  idsChecked: 0,
  driftDetected: false,
  rowsUnlisted: 0,
  rowsUnreadable: 0,
  idsUnconfirmed: 0,
  tieRereads: 0,
  complete: true
}

/** The one-line reason a run failed, as `sync_runs.error` keeps it. */
const failureMessage = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted (SIGINT, SIGTERM or shutdown) before it finished; the mirror is unchanged"
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

const record = (runId: number, fetched: Ref.Ref<SyncRun.FetchStats>, exit: Exit.Exit<Mirror.MirrorCounts, unknown>) =>
  Effect.flatMap(Ref.get(fetched), (stats) =>
    SyncRun.finish(
      runId,
      Exit.match(exit, {
        onSuccess: (counts) => ({ status: "succeeded", fetched: stats, counts }),
        onFailure: (cause) => ({
          status: Cause.isInterruptedOnly(cause) ? "interrupted" : "failed",
          fetched: stats,
          error: failureMessage(cause)
        })
      })
    )).pipe(Effect.catchAll((error) => Effect.logError(`could not record the end of run ${runId}: ${error.message}`)))

/**
 * One sync of `options.source`: take the source's lock, record a run, stage the whole inventory,
 * then apply it in one transaction. Whatever fails before commit leaves the mirror as it was and
 * the run recorded as failed. Returns the run as `sync_runs` records it.
 */
export const run = Effect.fn("Sync.run")(function*(options: SyncOptions) {
  const db = yield* MirrorDatabase
  const { source } = options
  const runId = yield* Effect.scoped(Effect.gen(function*() {
    const lock = yield* SyncLock.hold(source, { wait: options.wait })
    const runId = yield* SyncRun.start(source)
    const fetched = yield* Ref.make(noneFetched)
    yield* Effect.gen(function*() {
      yield* Staging.clear(source)
      yield* Staging.begin(runId, source)
      yield* Scan.inventory({ runId, source, options, stats: fetched })
      const now = yield* isoNow
      const { complete } = yield* Ref.get(fetched)
      yield* SyncLock.startApply(lock)
      return yield* db.transaction(
        "mirror",
        SyncLock.verify(lock).pipe(
          Effect.zipRight(Effect.logDebug(`run ${runId}: applying in one transaction, which holds the database's write lock`)),
          Effect.zipRight(Mirror.apply({ runId, source, now, tombstone: complete, notify: options.notify })),
          Effect.zipLeft(SyncLock.finishApply(lock))
        )
      )
    }).pipe(
      Effect.onExit((exit) => record(runId, fetched, exit)),
      Effect.ensuring(Effect.ignoreLogged(Staging.clear(source)))
    )
    return runId
  }))
  return yield* SyncRun.get(runId)
})
