import { PicaClient, PicaError } from "@picasync/client"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Changes from "./Changes.js"
import { DatabaseFailure, MirrorDatabase } from "./db/MirrorDatabase.js"
import type { ChangeKind } from "./db/schema.js"
import * as Source from "./Source.js"
import * as Sync from "./Sync.js"
import { SyncLockHeldError, SyncLockLostError } from "./SyncLock.js"
import type { SyncRun } from "./SyncRun.js"

/**
 * Every way a run can fail: the API past its retries, the database (another source's apply waited on
 * too long included), or another sync of the same source.
 */
export const SyncError = Schema.Union(PicaError, DatabaseFailure, SyncLockHeldError, SyncLockLostError)
export type SyncError = typeof SyncError.Type

export interface Options {
  /** Whose inventory the rows belong to (`live`, `test`, a name of yours). Default `default`. */
  readonly source?: string | undefined
  /** Pages (or single connections) requested at once. Default 4. */
  readonly concurrency?: number | undefined
  /**
   * Rows per page the sync asks for. Default: 1,000 at first, then what the server really gives
   * (a smaller cap learned from its answers, 100 if it refuses 1,000).
   */
  readonly pageSize?: number | undefined
  /**
   * Queue these kinds of change as notifications in `notification_outbox`, in each run's transaction;
   * `Notify.deliver` sends them. Default: none queued.
   */
  readonly notify?: ReadonlyArray<ChangeKind> | undefined
}

export interface RunOptions {
  /** This run's source, instead of the service's. */
  readonly source?: string | undefined
  /** Queue behind a running sync of the same source instead of failing with `SyncLockHeldError`. Default false. */
  readonly wait?: boolean | undefined
}

export interface Service {
  /**
   * One sync: every connection, active and inactive, into the mirror in one transaction, with its
   * changes and its run recorded. A failure leaves the mirror as it was and the run recorded as failed.
   * Progress goes to the `Progress` service when the context has one.
   */
  readonly run: (options?: RunOptions) => Effect.Effect<SyncRun, SyncError>
  /** Runs now, then on `schedule`, for as long as the stream is read: each run's outcome, a failure included. */
  readonly watch: <Out, R>(
    schedule: Schedule.Schedule<Out, unknown, R>,
    options?: RunOptions
  ) => Stream.Stream<Either.Either<SyncRun, SyncError>, never, R>
  /**
   * Every change event committed to the mirror (those `notify` queues, as `--notify-url` posts them, with
   * the same ids), in commit order, for as long as the stream is read; never one of a rolled-back run.
   */
  readonly changes: (
    options?: Changes.ChangesOptions
  ) => Stream.Stream<Changes.ChangeEvent, DatabaseFailure | Changes.ChangeEventUnknownError>
}

/** `watch` over `run`: now, then on each recurrence of the schedule, each outcome an `Either`. */
export const watchOf = (run: Service["run"]): Service["watch"] => (schedule, options) =>
  Stream.repeatEffectWithSchedule(Effect.either(run(options)), schedule)

/** Builds the sync engine over the `PicaClient` and the `MirrorDatabase` (migrated) the application provides. */
export const make = Effect.fnUntraced(function*(options: Options = {}) {
  const client = yield* PicaClient
  const database = yield* MirrorDatabase
  const settings = {
    source: options.source ?? "default",
    concurrency: options.concurrency ?? 4,
    pageSize: options.pageSize,
    notify: options.notify
  }
  // Wakes the change streams once a run committed; only the latest signal matters.
  const committed = yield* PubSub.sliding<void>(1)
  const run = Effect.fn("PicaSync.run")(function*(runOptions: RunOptions = {}) {
    return yield* Sync.run({ ...settings, source: runOptions.source ?? settings.source, wait: runOptions.wait ?? false }).pipe(
      Effect.provideService(PicaClient, client),
      Effect.provideService(MirrorDatabase, database),
      Effect.tap(() => PubSub.publish(committed, undefined))
    )
  })
  const changes = (changesOptions?: Changes.ChangesOptions) =>
    Changes.stream(committed, changesOptions).pipe(Stream.provideService(MirrorDatabase, database))
  return identity<Service>({ run, watch: watchOf(run), changes })
})

export const layer = (options: Options = {}): Layer.Layer<PicaSync, never, PicaClient | MirrorDatabase> =>
  Layer.effect(PicaSync, make(options))

/**
 * Reads `PICASYNC_SOURCE` (default: `live` or `test` from the prefix of `PICA_SECRET_KEY`, else
 * `default`) from the environment (or the current `ConfigProvider`); the rest as values.
 */
export const layerConfig = (
  options: Omit<Options, "source"> = {}
): Layer.Layer<PicaSync, ConfigError.ConfigError, PicaClient | MirrorDatabase> =>
  Layer.effect(
    PicaSync,
    Effect.gen(function*() {
      const secret = yield* Config.option(Config.redacted("PICA_SECRET_KEY"))
      const fallback = Option.match(secret, { onNone: () => "default", onSome: Source.fromSecret })
      const source = yield* Config.string("PICASYNC_SOURCE").pipe(
        Config.validate({ message: "PICASYNC_SOURCE must be 1-64 letters, digits, \".\", \"_\" or \"-\"", validation: Source.isValidName }),
        Config.withDefault(fallback)
      )
      return yield* make({ ...options, source })
    })
  )

/** The sync engine as an Effect service: `yield* PicaSync`, provided by `PicaSync.layer`. */
export class PicaSync extends Context.Tag("@picasync/sync/PicaSync")<PicaSync, Service>() {
  static readonly make = make
  static readonly layer = layer
  static readonly layerConfig = layerConfig
}
