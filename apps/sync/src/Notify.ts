import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { UrlCredentials } from "@picasync/client"
import { and, asc, count, inArray, isNull, sql } from "drizzle-orm"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createHmac } from "node:crypto"
import { displayUrl } from "./db/DatabaseUrl.js"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import { notificationOutbox } from "./db/schema.js"
import { isoNow } from "./Now.js"

/** Where change notifications go: a URL that takes `POST { "events": [ … ] }`. */
export interface Target {
  readonly url: string
  /** Signs each body: `x-picasync-signature: sha256=<hex HMAC-SHA256 of the body>`. */
  readonly secret?: Redacted.Redacted<string> | undefined
  /**
   * How a POST that may succeed later (no answer, 408, 429, 5xx) is tried again before the batch is left
   * pending; any other answer leaves it pending at once. Default: 4 more times over about 8 s.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
}

/** Some notifications could not be delivered: they stay queued, with their last error. */
export class NotifyError extends Schema.TaggedError<NotifyError>()("NotifyError", {
  at: Schema.String,
  reason: Schema.String,
  pending: Schema.Number
}) {
  override get message() {
    return `could not deliver change notifications to ${this.at}: ${this.reason}; ${this.pending} wait in undelivered_notifications and go with the next sync or picasync notify`
  }
}

/** Events per POST: a receiver answers each batch, and a batch is marked delivered as a whole. */
const BATCH_SIZE = 100
const REQUEST_TIMEOUT = Duration.seconds(10)
const defaultRetry = Schedule.exponential(Duration.millis(500)).pipe(Schedule.intersect(Schedule.recurs(4)))

/** `sha256=<hex>` of `body`, as the receiver recomputes it with the shared secret. */
export const signature = (body: string, secret: Redacted.Redacted<string>) =>
  `sha256=${createHmac("sha256", Redacted.value(secret)).update(body).digest("hex")}`

const pendingRows = Effect.flatMap(MirrorDatabase, (db) =>
  db.query("notify", (orm) =>
    orm.select({ id: notificationOutbox.id, payload: notificationOutbox.payload }).from(notificationOutbox)
      .where(isNull(notificationOutbox.deliveredAt)).orderBy(asc(notificationOutbox.changeId)).limit(BATCH_SIZE)))

const pendingCount = Effect.flatMap(MirrorDatabase, (db) =>
  Effect.map(
    db.query("notify", (orm) => orm.select({ n: count() }).from(notificationOutbox).where(isNull(notificationOutbox.deliveredAt))),
    ([row]) => row?.n ?? 0
  ))

/** Marks the batch delivered, or counts a failed attempt on it with its error. */
const record = (ids: ReadonlyArray<string>, outcome: { readonly delivered: true } | { readonly error: string }) =>
  Effect.gen(function*() {
    const db = yield* MirrorDatabase
    const now = yield* isoNow
    const where = and(inArray(notificationOutbox.id, [...ids]), isNull(notificationOutbox.deliveredAt))
    yield* db.query("notify", (orm) =>
      orm.update(notificationOutbox).set(
        "delivered" in outcome
          ? { deliveredAt: now, lastAttemptAt: now, attempts: sql`${notificationOutbox.attempts} + 1` }
          : { lastError: outcome.error, lastAttemptAt: now, attempts: sql`${notificationOutbox.attempts} + 1` }
      ).where(where))
  })

/** A POST with no answer in time, or none at all: the receiver is down, unreachable or too slow. */
export class NotifyUnanswered extends Schema.TaggedError<NotifyUnanswered>()("NotifyUnanswered", {
  at: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `POST ${this.at}: ${this.reason}; check that the receiver is up and reachable from here`
  }
}

/** A POST answered other than 2xx. */
export class NotifyRefused extends Schema.TaggedError<NotifyRefused>()("NotifyRefused", {
  at: Schema.String,
  status: Schema.Number
}) {
  /** What the outbox keeps as the batch's last error. */
  get reason() {
    return `HTTP ${this.status}`
  }
  override get message() {
    return `POST ${this.at} answered ${this.reason}; check the receiver's logs and --notify-url`
  }
}

/** Answers worth another attempt: the receiver timed out, limited the rate or failed; other 4xx will not change. */
const mayPass = (failure: NotifyUnanswered | NotifyRefused) =>
  failure._tag === "NotifyUnanswered" || failure.status === 408 || failure.status === 429 || failure.status >= 500

/** How a POST is tried again: on `target.retry` (default: 4 more times over about 8 s), while what failed may pass. */
export const deliveryRetry = (target: Target) => (target.retry ?? defaultRetry).pipe(Schedule.whileInput(mayPass))

/**
 * One POST of `body`; anything but a 2xx answer within the timeout fails it.
 * A user and password in the URL go as a Basic header, so the URL spans carry has none.
 */
const post = (target: Target, body: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const { authorization, url } = UrlCredentials.split(target.url)
    const at = displayUrl(target.url)
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.bodyText(body, "application/json"),
      authorization === undefined ? identity : HttpClientRequest.setHeader("authorization", authorization),
      target.secret === undefined ? identity : HttpClientRequest.setHeader("x-picasync-signature", signature(body, target.secret))
    )
    const response = yield* http.execute(request).pipe(
      Effect.mapError((error) => new NotifyUnanswered({ at, reason: `no answer (${error._tag})` })),
      Effect.timeoutFail({
        duration: REQUEST_TIMEOUT,
        onTimeout: () => new NotifyUnanswered({ at, reason: `no answer within ${Duration.format(REQUEST_TIMEOUT)}` })
      })
    )
    if (response.status < 200 || response.status > 299) return yield* new NotifyRefused({ at, status: response.status })
  }).pipe(Effect.scoped)

/**
 * Sends the oldest batch still queued, tried again on `target.retry` while it may pass, and marks it
 * delivered once answered 2xx; how many it delivered, none when nothing is queued.
 */
const deliverBatch = (target: Target) =>
  Effect.gen(function*() {
    const batch = yield* pendingRows
    if (batch.length === 0) return 0
    const events = batch.map((row) => ({ id: row.id, ...(JSON.parse(row.payload) as Record<string, unknown>) }))
    const ids = batch.map((row) => row.id)
    const sent = yield* post(target, JSON.stringify({ events })).pipe(
      Effect.retry(deliveryRetry(target)),
      Effect.either
    )
    if (Either.isLeft(sent)) {
      yield* record(ids, { error: sent.left.reason })
      return yield* new NotifyError({ at: displayUrl(target.url), reason: sent.left.reason, pending: yield* pendingCount })
    }
    yield* record(ids, { delivered: true })
    return batch.length
  })

/**
 * Sends every notification still queued, oldest first, a batch per POST. Stops at the first batch
 * that stays undelivered (`NotifyError`), so order holds. A receiver deduplicates redeliveries by event `id`.
 */
export const deliver = Effect.fn("Notify.deliver")(function*(target: Target) {
  const delivered = yield* Stream.repeatEffect(deliverBatch(target)).pipe(
    Stream.takeWhile((sent) => sent > 0),
    Stream.runSum
  )
  return { delivered }
})
