import { type ListConnectionsParams, PicaClient, type PicaClientService, PicaError } from "@picasync/client"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { MirrorDatabase } from "../db/MirrorDatabase.js"
import { PicaSync, type SyncError } from "../PicaSync.js"
import type { SyncRun } from "../SyncRun.js"
import { checkParams, freshness, makeWith, mirrorError, type Operation } from "./Offline.js"
import * as WriteThrough from "./WriteThrough.js"

export interface ReadThroughOptions {
  /** Reads come from the mirror while the source's last sync committed less than this long ago; else a sync runs first. */
  readonly maxAge: Duration.DurationInput
  /** The source read and synced; default the `PicaSync` service's. */
  readonly source?: string | undefined
  /** When the sync before a read fails, answer from the older mirror with a warning instead of failing. Default false. */
  readonly serveStale?: boolean | undefined
  /** `limit` of each page a stream reads. Default 100. */
  readonly pageSize?: number | undefined
}

const isPicaError = Schema.is(PicaError)

/** The sync's own error when it is the API's; a database or lock failure as the mirror's. */
const syncFailure = (operation: Operation) => (error: SyncError): PicaError =>
  isPicaError(error) ? error : mirrorError(operation, "sync", `the sync before the read failed: ${error.message}`, error)

const writeFailure = (operation: Operation) => (error: SyncError): PicaError =>
  isPicaError(error)
    ? error
    : mirrorError(operation, "sync", `the write reached the API, but the mirror could not record it (${error.message}); the next sync will`, error)

/**
 * The live `PicaClient`, decorated: reads come from the mirror while its last sync is younger than
 * `maxAge`, else after one sync that every reader waiting at the time shares. Writes go to the API, and
 * the connection as the API then has it is applied to the mirror, recorded like a sync's change.
 */
export const make = Effect.fnUntraced(function*(options: ReadThroughOptions) {
  const live = yield* PicaClient
  const sync = yield* PicaSync
  const db = yield* MirrorDatabase
  const scope = yield* Effect.scope
  const maxAge = Duration.toMillis(Duration.decode(options.maxAge))
  // Without a source option, the source the service's syncs write, learnt from the first one.
  let syncedSource = options.source
  const currentSource = () => syncedSource
  const mirror = makeWith(db, currentSource, options)
  const inflight = yield* SynchronizedRef.make(Option.none<Deferred.Deferred<SyncRun, SyncError>>())

  /** The sync running now, or a new one: concurrent stale readers all wait on the same run. */
  const sharedSync = Effect.flatten(SynchronizedRef.modifyEffect(inflight, (running) =>
    Option.match(running, {
      onSome: (deferred) => Effect.succeed([Deferred.await(deferred), running] as const),
      onNone: () =>
        Effect.gen(function*() {
          const deferred = yield* Deferred.make<SyncRun, SyncError>()
          yield* sync.run({ source: options.source, wait: true }).pipe(
            Effect.tap((run) => Effect.sync(() => (syncedSource = run.source))),
            Effect.exit,
            Effect.flatMap((exit) => Effect.zipRight(SynchronizedRef.set(inflight, Option.none()), Deferred.done(deferred, exit))),
            // The readers' fibers may be interrupted; the sync they share goes on for the others.
            Effect.forkIn(scope)
          )
          return [Deferred.await(deferred), Option.some(deferred)] as const
        })
    })))

  /** Syncs first when the mirror is older than `maxAge` or was never synced. */
  const fresh = (operation: Operation) =>
    Effect.gen(function*() {
      const last = yield* freshness({ source: currentSource() }).pipe(
        Effect.asSome,
        Effect.catchIf((error) => error.kind === "never-synced", () => Effect.succeedNone),
        Effect.provideService(MirrorDatabase, db)
      )
      const now = yield* Clock.currentTimeMillis
      if (Option.isSome(last) && now - Date.parse(last.value.committedAt) < maxAge) return
      yield* sharedSync.pipe(
        Effect.mapError(syncFailure(operation)),
        Effect.catchAll((error) =>
          options.serveStale === true && Option.isSome(last)
            ? Effect.logWarning(`serving the mirror of run ${last.value.runId} (${last.value.committedAt}): ${error.message}`)
            : Effect.fail(error)
        )
      )
    })

  /** The source a write is applied to: none before any sync, when the next sync brings the write along. */
  const writtenSource = freshness({ source: currentSource() }).pipe(
    Effect.map((last) => Option.some(last.source)),
    Effect.catchAll(() => Effect.succeed(Option.none<string>())),
    Effect.provideService(MirrorDatabase, db)
  )

  const afterWrite = <R>(operation: Operation, applyTo: (source: string) => Effect.Effect<unknown, SyncError, R>) =>
    Effect.flatMap(writtenSource, Option.match({
      onNone: () => Effect.void,
      onSome: (source) => Effect.asVoid(Effect.mapError(applyTo(source), writeFailure(operation)))
    }))

  const withLive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(Effect.provideService(effect, PicaClient, live), MirrorDatabase, db)

  const service: PicaClientService = {
    listConnections: Effect.fn("MirrorPicaClient.readThrough.listConnections")(function*(params: ListConnectionsParams = {}) {
      yield* checkParams(params)
      yield* fresh("listConnections")
      return yield* mirror.listConnections(params)
    }),
    streamPages: (params = {}, paging) =>
      Stream.unwrap(Effect.as(Effect.zipRight(checkParams(params), fresh("streamPages")), mirror.streamPages(params, paging))),
    streamConnections: (params = {}, paging) =>
      Stream.unwrap(Effect.as(Effect.zipRight(checkParams(params), fresh("streamConnections")), mirror.streamConnections(params, paging))),
    getConnection: Effect.fn("MirrorPicaClient.readThrough.getConnection")(function*(id: string) {
      yield* fresh("getConnection")
      return yield* mirror.getConnection(id)
    }),
    updateConnectionTags: Effect.fn("MirrorPicaClient.readThrough.updateConnectionTags")(function*(id, tags) {
      const written = yield* live.updateConnectionTags(id, tags)
      if (Option.isSome(written)) {
        yield* withLive(afterWrite("updateConnectionTags", (source) => WriteThrough.apply(source, written.value)))
      }
      return written
    }),
    deleteConnection: Effect.fn("MirrorPicaClient.readThrough.deleteConnection")(function*(id: string) {
      yield* live.deleteConnection(id)
      // Re-read: a soft delete may still answer, and a deployment without GET by id cannot say otherwise.
      const after = yield* live.getConnection(id).pipe(
        Effect.asSome,
        Effect.catchTags({ PicaNotFoundError: () => Effect.succeedNone, PicaUnsupportedError: () => Effect.succeedNone })
      )
      yield* withLive(afterWrite("deleteConnection", (source) =>
        Option.match(after, {
          onNone: () => WriteThrough.tombstone(source, id),
          onSome: (connection) => WriteThrough.apply(source, connection)
        })))
    }),
    listConnectors: live.listConnectors,
    streamConnectors: live.streamConnectors
  }
  return service
})

/**
 * `PicaClient` reading through the mirror: answers from it while the last sync is younger than `maxAge`,
 * syncs first otherwise; writes and the connector catalogue go to the live client it decorates.
 */
export const layerReadThrough = (
  options: ReadThroughOptions
): Layer.Layer<PicaClient, never, PicaClient | PicaSync | MirrorDatabase> => Layer.scoped(PicaClient, make(options))
