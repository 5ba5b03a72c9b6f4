import { type Connection, type ConnectionsPage, PicaClient, type PicaError, TieRescan } from "@picasync/client"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as Confirmation from "./Confirmation.js"
import type { DatabaseFailure, MirrorDatabase } from "./db/MirrorDatabase.js"
import * as PageSize from "./PageSize.js"
import * as Progress from "./Progress.js"
import * as Staging from "./Staging.js"
import type { FetchStats } from "./SyncRun.js"
import * as UnreadableRows from "./UnreadableRows.js"

export interface FetchOptions {
  /** Pages (or single connections) requested at once. */
  readonly concurrency: number
  /** Rows per page asked for; absent, large at first, then what the server really gives (`PageSize`). */
  readonly pageSize?: number | undefined
}

/** One scan: where its rows are staged, and its own counters. */
interface ScanRun {
  readonly staging: Staging.Staging
  readonly options: FetchOptions
  readonly stats: Ref.Ref<FetchStats>
}

const noneFetched = (pageSize: number): FetchStats => ({
  pagesFetched: 0,
  rowsFetched: 0,
  idsChecked: 0,
  driftDetected: false,
  rowsUnlisted: 0,
  rowsUnreadable: 0,
  idsUnconfirmed: 0,
  tieRereads: 0,
  pageSize,
  complete: true
})

/** Both listings: a complete mirror needs the inactive connections the API hides by default. */
const listings = [true, false] as const

/** One `A` for each listing, made once, looked up by whether the listing is the active one. */
const perListing = <A>(make: (active: boolean) => A): ((active: boolean) => A) => {
  const active = make(true)
  const inactive = make(false)
  return (listedActive) => (listedActive ? active : inactive)
}

/** What one pass through both listings learned. */
interface Pass {
  /** Sum of both listings' totals, as the server reported them. */
  readonly total: number
  /** Every total the server reported, before, during and after the scan, agreed. */
  readonly totalsStable: boolean
  /**
   * What a rescan asks for from its first page on: the size its pages after the first asked for, or
   * the size page 1 proved when that was a guess the scan did not confirm.
   */
  readonly pageSize: number
  /** Its pages after the first asked for a guessed size the scan did not confirm: rows may be missing. */
  readonly guessMissed: boolean
}

const count = (run: ScanRun, update: (stats: FetchStats) => Partial<FetchStats>) =>
  Ref.update(run.stats, (stats) => ({ ...stats, ...update(stats) }))

const stageInBatches = (staging: Staging.Staging) => <E, R>(rows: Stream.Stream<Staging.StagedRow, E, R>) =>
  rows.pipe(
    Stream.grouped(Staging.ROWS_PER_COMMIT),
    Stream.mapEffect((batch) => staging.stage(Chunk.toReadonlyArray(batch))),
    Stream.runDrain
  )

const fromConnection = (listedActive: boolean) => (row: Connection): Staging.StagedRow => ({ id: row.id, raw: row, listedActive })

/**
 * A page's rows to stage: those read, and those unreadable but with an id (mirrored from their raw
 * JSON and flagged). Every unreadable row is recorded; one without a usable id makes the listing
 * incomplete, so the run tombstones nothing.
 */
const pageRows = (run: ScanRun, listedActive: boolean) => (page: ConnectionsPage) =>
  Effect.gen(function*() {
    const staged = page.rows.map(fromConnection(listedActive))
    if (page.unreadable.length === 0) return staged
    const { runId, source } = run.staging
    yield* UnreadableRows.record({ runId, source, listedActive, page: page.page }, page.unreadable)
    const withId = page.unreadable.flatMap((row) =>
      row.id === undefined ? [] : [{ id: row.id, raw: row.raw, listedActive, decodeIssue: `${row.path}: ${row.reason}` }]
    )
    const anonymous = page.unreadable.length - withId.length
    yield* Effect.logWarning(
      `page ${page.page} of the ${listedActive ? "active" : "inactive"} listing: ${page.unreadable.length} row(s) unreadable` +
        (anonymous > 0 ? `, ${anonymous} without a usable id: nothing is tombstoned this run` : "; mirrored and flagged")
    )
    yield* count(run, (s) => ({ rowsUnreadable: s.rowsUnreadable + page.unreadable.length, complete: s.complete && anonymous === 0 }))
    return [...staged, ...withId]
  })

/** Each listing's `total` and its row at `offset`, from a one-row page; both at once, so a probe costs one round trip. */
const probe = (offset: number) =>
  Effect.flatMap(PicaClient, (client) =>
    Effect.forEach(listings, (active) => client.listConnections({ active, limit: 1, page: offset + 1 }), {
      concurrency: "unbounded"
    }))

/** Ids of a page's rows, readable or not. */
const idsOf = (page: ConnectionsPage) => [...page.rows.map((row) => row.id), ...page.unreadable.flatMap((row) => row.id ?? [])]

/** A page and the listing it belongs to. */
interface ListedPage {
  readonly active: boolean
  readonly page: ConnectionsPage
}

/** A page with no row: past the listing's last one (the server counts rows it never lists). Skipped. */
const isEmpty = (page: ConnectionsPage) => page.rows.length === 0 && page.unreadable.length === 0

const listPage = (size: number, active: boolean, page: number) =>
  Effect.flatMap(PicaClient, (client) => client.listConnections({ active, limit: size, page }))

const fetchPage = (size: number) => (active: boolean, page: number) =>
  Effect.map(listPage(size, active, page), (fetched): ListedPage => ({ active, page: fetched }))

/** A rescan of each listing's tied rows, its re-reads counted in the run: they spend the rate limit too. */
const tieRescans = (run: ScanRun, size: number) =>
  perListing((active) =>
    TieRescan.make(
      (page) => Effect.tap(listPage(size, active, page), () => count(run, (s) => ({ tieRereads: s.tieRereads + 1 }))),
      { concurrency: run.options.concurrency }
    )
  )

/** Page 1 of both listings at `size`, at once: each tells how many pages follow, and the listing's total before the scan. */
const firstPagesAt = (size: number) => Effect.forEach(listings, (active) => fetchPage(size)(active, 1), { concurrency: "unbounded" })

/** Page 1 of both listings; a server refusing the large size asked gets the size official clients ask for, fixed. */
const firstPages = (pageSize: PageSize.PageSize) =>
  Effect.map(firstPagesAt(pageSize.asked), (pages) => ({ pages, pageSize })).pipe(
    Effect.catchIf(
      (error) => pageSize.adapts && PageSize.refusedLimit(pageSize.asked)(error),
      () =>
        Effect.logInfo(`the API refused pages of ${pageSize.asked} rows: asking for ${PageSize.FALLBACK}`).pipe(
          Effect.zipRight(firstPagesAt(PageSize.FALLBACK)),
          Effect.map((pages) => ({ pages, pageSize: PageSize.fixed(PageSize.FALLBACK) }))
        )
    )
  )

/**
 * The size the pages after the first ask for, and page 1 of each listing with the pages that follow at
 * that size: at a smaller one than asked they are the listing's pages at that size, page 1 holding their first.
 */
const sized = (pageSize: PageSize.PageSize, first: ReadonlyArray<ListedPage>) =>
  Effect.gen(function*() {
    const { asked } = pageSize
    const served = (page: ConnectionsPage) => page.rows.length + page.unreadable.length
    const learned = pageSize.adapts
      ? PageSize.learn(asked, first.map(({ page }) => ({ ...page, served: served(page) })))
      : { size: asked, proven: asked }
    const { proven, size } = learned
    if (size === asked && proven === asked) return { ...learned, first }
    yield* Effect.logInfo(
      size === proven
        ? `the API gives pages of at most ${size} rows (asked for ${asked}): paging on at ${size}`
        : `the API gave pages of ${proven} rows (asked for ${asked}), likely ${size} less rows it hides: paging on at ${size}, to be confirmed`
    )
    return { ...learned, first: first.map(({ active, page }) => ({ active, page: { ...page, pages: PageSize.pageCount(page.total, size) } })) }
  })

/**
 * The pages after `first` of both listings as one stream, in order, fetched `concurrency` at a time
 * across both: no listing waits for the other's last round.
 */
const laterPages = (options: FetchOptions, size: number, first: ReadonlyArray<ListedPage>) =>
  Stream.fromIterable(first.flatMap(({ active, page }) =>
    isEmpty(page) ? [] : Array.from({ length: Math.max(0, page.pages - 1) }, (_, i) => ({ active, page: i + 2 }))
  )).pipe(
    Stream.mapEffect(({ active, page }) => fetchPage(size)(active, page), { concurrency: options.concurrency }),
    Stream.filter(({ page }) => !isEmpty(page))
  )

/** Rows fetched ahead of staging, so fetching goes on while a batch is written: 64 pages of 100, fewer larger ones. */
const ROWS_AHEAD = 6_400

/**
 * Whether page 1 of a listing held the row the probe found at the guessed size's last offset: then the
 * server gives pages of at least the guessed size, and pages at it left no gap.
 */
const heldGuess = (first: ReadonlyArray<ListedPage>, probed: ReadonlyArray<ConnectionsPage>) =>
  first.some(({ page }, i) => {
    const held = new Set(idsOf(page))
    const probedPage = probed[i]
    return probedPage !== undefined && idsOf(probedPage).some((id) => held.has(id))
  })

/**
 * Pages through both listings once, staging every row; repeats are absorbed by id. Page 1 of each is
 * asked at `pageSize`, the rest at what it showed the server gives (`PageSize`). Rows tied on
 * `createdAt` across a page boundary are settled by re-reading their pages (`TieRescan`). The probe of
 * the totals after the scan also checks a guessed size: it reads the row at its last offset.
 */
const scan = Effect.fn("Scan.scan")(function*(run: ScanRun, label: string, pageSize: PageSize.PageSize) {
  const { options, staging } = run
  const progress = yield* Progress.current
  const opening = yield* firstPages(pageSize)
  const { first, proven, size } = yield* sized(opening.pageSize, opening.pages)
  yield* count(run, () => ({ pageSize: size }))
  const rescans = tieRescans(run, size)
  yield* progress.begin(label, first.reduce((pages, { page }) => pages + Math.max(1, page.pages), 0))
  const totals = perListing(() => new Set<number>())
  yield* Stream.concat(Stream.fromIterable(first), laterPages(options, size, first)).pipe(
    Stream.tap(({ active, page }) => {
      totals(active).add(page.total)
      const served = page.rows.length + page.unreadable.length
      return count(run, (s) => ({ pagesFetched: s.pagesFetched + 1, rowsFetched: s.rowsFetched + served }))
        .pipe(Effect.zipRight(progress.advance(served)))
    }),
    Stream.buffer({ capacity: Math.max(2, Math.ceil(ROWS_AHEAD / size)) }),
    Stream.mapEffect(({ active, page }) =>
      Effect.zipWith(pageRows(run, active)(page), rescans(active).next(page), (rows, tied) => [
        ...rows,
        ...tied.map(fromConnection(active))
      ])
    ),
    Stream.concat(Stream.fromEffect(
      Effect.map(
        Effect.forEach(listings, (active) => Effect.map(rescans(active).end, (tied) => tied.map(fromConnection(active)))),
        (tied) => tied.flat()
      )
    )),
    Stream.flattenIterables,
    stageInBatches(staging)
  )
  yield* progress.end
  yield* staging.seal
  const guessed = size > proven
  const after = yield* probe(guessed ? size - 1 : 0)
  const guessMissed = guessed && !heldGuess(first, after)
  return {
    total: after.reduce((sum, { total }) => sum + total, 0),
    totalsStable: listings.every((active, i) => [...totals(active)].every((total) => total === after[i]?.total)),
    pageSize: guessMissed ? proven : size,
    guessMissed
  } satisfies Pass
})

/**
 * Fetches each live mirror row the staging lacks by id: a 404 confirms the deletion, a row found is
 * staged (hidden from the listings, or skipped) and stays live. Without GET by id on this deployment
 * nothing can be confirmed: those rows are counted unconfirmed and the run tombstones nothing.
 */
const confirmMissing = Effect.fn("Scan.confirmMissing")(function*(run: ScanRun) {
  const { options, staging } = run
  const progress = yield* Progress.current
  const ids = yield* staging.missingIds
  const checked = Effect.zipRight(count(run, (s) => ({ idsChecked: s.idsChecked + 1 })), progress.advance(1))
  const confirm = (id: string) => Effect.tap(Confirmation.byId(id), () => checked)
  yield* progress.begin("confirming missing connections", ids.length)
  const [firstId, ...rest] = ids
  // One first, so a deployment without GET by id costs one request, not one per missing row.
  const first = firstId === undefined ? Confirmation.Gone() : yield* confirm(firstId)
  const unknowable = yield* Ref.make(0)
  if (Confirmation.$is("Unknowable")(first)) {
    yield* Ref.set(unknowable, ids.length)
  } else {
    yield* Stream.fromIterable(rest).pipe(
      Stream.mapEffect(confirm, { concurrency: options.concurrency }),
      Stream.prepend(Chunk.of(first)),
      Stream.tap((found) => Confirmation.$is("Unknowable")(found) ? Ref.update(unknowable, (n) => n + 1) : Effect.void),
      Stream.filterMap((found) => Confirmation.$is("Live")(found) ? Option.some(found.row) : Option.none()),
      // A row fetched by id says itself whether it is active.
      Stream.map((row) => fromConnection(row.active === true)(row)),
      stageInBatches(staging)
    )
  }
  yield* progress.end
  const unconfirmed = yield* Ref.get(unknowable)
  if (unconfirmed > 0) {
    yield* Effect.logWarning(
      `${unconfirmed} connection(s) missing from the listing could not be confirmed gone (no GET by id on this API): kept, not tombstoned`
    )
    yield* count(run, () => ({ idsUnconfirmed: unconfirmed, complete: false }))
  }
})

/**
 * Stages the source's whole inventory and returns what the scan learned. Totals that moved mean the
 * listing drifted under the scan: it is redone once from scratch. A listing with fewer rows than its
 * stable totals is not drift: the server counts rows it never lists. Either way each live mirror row
 * still missing is confirmed by id before the apply may tombstone it, so the mirror never tombstones a
 * live connection.
 */
const inventory = Effect.fn("Scan.inventory")(function*(run: ScanRun) {
  const first = yield* scan(run, "fetching", PageSize.make(run.options.pageSize))
  const drifted = !first.totalsStable
  if (drifted) {
    yield* count(run, () => ({ driftDetected: true }))
    yield* Effect.logInfo("the listing moved during the scan: scanning again, then checking missing ids one by one")
  } else if (first.guessMissed) {
    yield* Effect.logInfo(`page 1 did not hold the rows a guessed page size assumed: scanning again at ${first.pageSize}`)
  }
  const rescan = drifted || first.guessMissed
  // Start the rescan afresh, so rows deleted during the first scan are confirmed gone in this run.
  if (rescan) yield* run.staging.reset
  const last = rescan ? yield* scan(run, "rescanning", PageSize.fixed(first.pageSize)) : first
  const staged = yield* run.staging.count
  yield* count(run, () => ({ rowsUnlisted: Math.max(0, last.total - staged) }))
  // Unless the totals were stable and every counted row listed, missing rows are confirmed one by one.
  if (drifted || staged < last.total) yield* confirmMissing(run)
  return yield* Ref.get(run.stats)
})

/** A scan of the source's inventory, with its own counters. */
export interface Scan {
  /**
   * Stages the whole inventory into `staging` and returns the counts the run log records, `complete`
   * when a missing row may be tombstoned: false after a row without a usable id, or a missing row that
   * could not be confirmed gone.
   */
  readonly inventory: (staging: Staging.Staging) => Effect.Effect<FetchStats, PicaError | DatabaseFailure, PicaClient | MirrorDatabase>
  /** What the scan has counted so far: recorded with a run that fails part-way. */
  readonly fetchedSoFar: Effect.Effect<FetchStats>
}

/** A scan, not started: `inventory` runs it. */
export const make = (options: FetchOptions): Effect.Effect<Scan> =>
  Effect.map(Ref.make(noneFetched(PageSize.make(options.pageSize).asked)), (stats) => ({
    inventory: (staging) => inventory({ staging, options, stats }),
    fetchedSoFar: Ref.get(stats)
  }))
