import { and, asc, eq, gt, type SQL } from "drizzle-orm"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type DatabaseFailure, MirrorDatabase } from "./db/MirrorDatabase.js"
import { type ChangeKind, notificationOutbox } from "./db/schema.js"

/** One committed change, as `--notify-url` posts it: `id` is the same on every delivery and in every stream. */
export interface ChangeEvent {
  readonly id: string
  readonly kind: ChangeKind
  readonly source: string
  readonly run_id: number
  readonly connection_id: string
  readonly platform: string | null
  readonly environment: string | null
  readonly state: string | null
  /** For `updated` and `restored`: `{ "<api field>": { "old": …, "new": … } }`. */
  readonly changed_fields: Record<string, { readonly old: unknown; readonly new: unknown }> | null
  readonly observed_at: string
}

export interface ChangesOptions {
  /** Resume after this event (an `id` the stream or a notification gave); default from the first event queued. */
  readonly after?: string | undefined
  /** Only this source's events; default every source's. */
  readonly source?: string | undefined
  /** How often to look for runs committed by other processes; this process's runs wake the stream at once. Default 1 s. */
  readonly pollEvery?: Duration.DurationInput | undefined
}

/** `after` names no event of this mirror. */
export class ChangeEventUnknownError extends Schema.TaggedError<ChangeEventUnknownError>()("ChangeEventUnknownError", {
  id: Schema.String
}) {
  override get message() {
    return `no change event has id "${this.id}" in this mirror: resume after an id this mirror's stream or notifications gave`
  }
}

/** Events read per query. */
const BATCH = 100

const positionOf = (id: string) =>
  Effect.flatMap(MirrorDatabase, (db) =>
    db.query("changes", (orm) =>
      orm.select({ changeId: notificationOutbox.changeId }).from(notificationOutbox).where(eq(notificationOutbox.id, id))))
    .pipe(
      Effect.flatMap(([row]) => row === undefined ? Effect.fail(new ChangeEventUnknownError({ id })) : Effect.succeed(row.changeId))
    )

/** The committed events after `position` (a `connection_changes` id), oldest first, and the position after them. */
const eventsAfter = (position: number, source: string | undefined) =>
  Effect.flatMap(MirrorDatabase, (db) => {
    const conditions: Array<SQL> = [gt(notificationOutbox.changeId, position)]
    if (source !== undefined) conditions.push(eq(notificationOutbox.source, source))
    return db.query("changes", (orm) =>
      orm.select({ id: notificationOutbox.id, changeId: notificationOutbox.changeId, payload: notificationOutbox.payload })
        .from(notificationOutbox).where(and(...conditions)).orderBy(asc(notificationOutbox.changeId)).limit(BATCH))
  }).pipe(Effect.map((rows) => ({
    events: rows.map((row): ChangeEvent => ({ id: row.id, ...(JSON.parse(row.payload) as Omit<ChangeEvent, "id">) })),
    position: rows.at(-1)?.changeId ?? position
  })))

/**
 * Every change event committed to the mirror, in commit order, for as long as the stream is read: each
 * run's events once it committed (`committed` wakes the stream), never one of a run rolled back, since the
 * events are written in the run's transaction. Resumed with `after`, it goes on with the next event.
 */
export const stream = (
  committed: PubSub.PubSub<void>,
  options: ChangesOptions = {}
): Stream.Stream<ChangeEvent, DatabaseFailure | ChangeEventUnknownError, MirrorDatabase> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    // Subscribed before the first read, so a commit between that read and the wait still wakes it.
    const wake = yield* PubSub.subscribe(committed)
    const start = options.after === undefined ? 0 : yield* positionOf(options.after)
    const pollEvery = Duration.decode(options.pollEvery ?? Duration.seconds(1))
    const next = (position: number): Effect.Effect<readonly [Chunk.Chunk<ChangeEvent>, number], DatabaseFailure, MirrorDatabase> =>
      Effect.flatMap(eventsAfter(position, options.source), (read) =>
        read.events.length > 0
          ? Effect.succeed([Chunk.fromIterable(read.events), read.position] as const)
          : Effect.zipRight(Effect.race(Queue.take(wake), Effect.sleep(pollEvery)), next(position)))
    return Stream.unfoldChunkEffect(start, (position) => Effect.map(next(position), Option.some))
  })).pipe(Stream.withSpan("PicaSync.changes"))
