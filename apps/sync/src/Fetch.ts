import { type Connection, PicaClient } from "@picasync/client"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import { Progress } from "./Progress.js"
import * as Staging from "./Staging.js"
import type { FetchStats } from "./SyncRun.js"

export interface FetchOptions {
  /** Pages (or single connections) requested at once. */
  readonly concurrency: number
  /** Rows per page the client asks for; only used to estimate progress. */
  readonly pageSize: number
}

/** One run's fetch: where rows are staged, and the counters the run log records. */
export interface FetchRun {
  readonly runId: number
  readonly source: string
  readonly options: FetchOptions
  readonly stats: Ref.Ref<FetchStats>
}

/** Both listings: a complete mirror needs the inactive connections the API hides by default. */
const listings = [true, false] as const

interface Scan {
  /** Sum of both listings' totals, as the server reported them. */
  readonly total: number
  /** Every total the server reported, before, during and after the scan, agreed. */
  readonly totalsStable: boolean
}

const stageInBatches = (runId: number, source: string) => <E, R>(rows: Stream.Stream<Connection, E, R>) =>
  rows.pipe(
    Stream.grouped(Staging.ROWS_PER_COMMIT),
    Stream.mapEffect((batch) => Staging.stage(runId, source, Chunk.toReadonlyArray(batch))),
    Stream.runDrain
  )

/** Each listing's `total`, from a one-row page; both at once, so a probe costs one round trip. */
const probeTotals = Effect.flatMap(PicaClient, (client) =>
  Effect.forEach(listings, (active) => Effect.map(client.listConnections({ active, limit: 1 }), (page) => page.total), {
    concurrency: "unbounded"
  }))

/** Pages through both listings once, staging every row; repeats are absorbed by id. */
const scan = Effect.fn("Fetch.scan")(function*({ options, runId, source, stats }: FetchRun, label: string) {
  const client = yield* PicaClient
  const progress = yield* Progress
  const before = yield* probeTotals
  yield* progress.begin(label, before.reduce((pages, total) => pages + Math.ceil(total / options.pageSize), 0))
  const seen = yield* Effect.forEach(listings, (active) => {
    const totals = new Set<number>()
    return client.streamPages({ active }, { concurrency: options.concurrency }).pipe(
      Stream.tap((page) => {
        totals.add(page.total)
        return Ref.update(stats, (s) => ({ ...s, pagesFetched: s.pagesFetched + 1, rowsFetched: s.rowsFetched + page.rows.length }))
          .pipe(Effect.zipRight(progress.advance(page.rows.length)))
      }),
      Stream.mapConcat((page) => page.rows),
      stageInBatches(runId, source),
      Effect.as(totals)
    )
  })
  yield* progress.end
  const after = yield* probeTotals
  return {
    total: after.reduce((sum, total) => sum + total, 0),
    totalsStable: listings.every((_, i) =>
      before[i] === after[i] && [...seen[i]!].every((total) => total === after[i])
    )
  } satisfies Scan
})

/**
 * Fetches each live mirror row the staging lacks by id: a 404 confirms the deletion, a row
 * found is staged (skipped by drift, or hidden from the listings) and stays live.
 */
const confirmMissing = Effect.fn("Fetch.confirmMissing")(function*({ options, runId, source, stats }: FetchRun) {
  const client = yield* PicaClient
  const progress = yield* Progress
  const ids = yield* Staging.missingIds(runId, source)
  yield* progress.begin("confirming missing connections", ids.length)
  yield* Stream.fromIterable(ids).pipe(
    Stream.mapEffect(
      (id) =>
        client.getConnection(id).pipe(
          Effect.asSome,
          Effect.catchTag("PicaNotFoundError", () => Effect.succeedNone),
          Effect.zipLeft(Ref.update(stats, (s) => ({ ...s, idsChecked: s.idsChecked + 1 }))),
          Effect.tap(() => progress.advance(1))
        ),
      { concurrency: options.concurrency }
    ),
    Stream.filterMap(identity<Option.Option<Connection>>),
    stageInBatches(runId, source)
  )
  yield* progress.end
})

/**
 * Stages the source's whole inventory for `run`. When the scan cannot prove it saw every
 * row (totals moved, or fewer distinct ids than the totals), it rescans once from scratch and then
 * confirms each still-missing id with the API, so the mirror never tombstones a live connection.
 */
export const inventory = Effect.fn("Fetch.inventory")(function*(run: FetchRun) {
  const first = yield* scan(run, "fetching")
  if (first.totalsStable && (yield* Staging.countStaged(run.runId)) === first.total) return
  yield* Ref.update(run.stats, (s) => ({ ...s, driftDetected: true }))
  yield* Effect.logInfo("the listing moved during the scan: scanning again, then checking missing ids one by one")
  // Start the rescan afresh, so rows deleted during the first scan are confirmed gone in this run.
  yield* Staging.clear(run.source)
  yield* scan(run, "rescanning")
  yield* confirmMissing(run)
})
