import { Schema } from "effect"
import * as ApiError from "./ApiError.js"
import type * as Http from "./Http.js"
import * as Random from "./Random.js"
import type * as RateLimitHeaders from "./RateLimitHeaders.js"

const Share = Schema.Number.pipe(Schema.between(0, 1))
const PositiveInt = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))
const NonNegativeInt = Schema.Int.pipe(Schema.greaterThanOrEqualTo(0))

/** When a fault fires: on a share of requests (seeded), and/or on every Nth one. */
export const Trigger = Schema.Struct({
  rate: Schema.optional(Share),
  every: Schema.optional(PositiveInt)
})
export type Trigger = typeof Trigger.Type

/** Added delay in ms: fixed, or uniform in `min..max` (seeded). */
export const Latency = Schema.Union(
  NonNegativeInt,
  Schema.Struct({ min: NonNegativeInt, max: NonNegativeInt }).pipe(
    Schema.filter((range) => range.min <= range.max || "latency min must not exceed max")
  )
)
export type Latency = typeof Latency.Type

export const ServerErrorStatus = Schema.Literal(500, 502, 503, 504)

/** Requests answered with a JSON error of one of `statuses` (default all four). */
export const ServerErrors = Schema.Struct({
  ...Trigger.fields,
  statuses: Schema.optional(Schema.NonEmptyArray(ServerErrorStatus))
})
export type ServerErrors = typeof ServerErrors.Type

/** A token bucket: 429 once it is empty. `retryAfter` (default true) adds a `Retry-After` header. */
export const RateLimit = Schema.Struct({
  capacity: PositiveInt,
  refillPerSecond: Schema.Number.pipe(Schema.positive()),
  retryAfter: Schema.optional(Schema.Boolean)
})
export type RateLimit = typeof RateLimit.Type

/** Listing pages missing one row while `total` still counts it; `page` truncates every listing's page N. */
export const Truncate = Schema.Struct({
  ...Trigger.fields,
  page: Schema.optional(PositiveInt)
})
export type Truncate = typeof Truncate.Type

/** Once a connections listing has served page `afterPage`, change the inventory under it; fires once. */
export const Drift = Schema.Struct({
  afterPage: PositiveInt,
  insert: Schema.optional(NonNegativeInt),
  delete: Schema.optional(NonNegativeInt),
  update: Schema.optional(NonNegativeInt)
})
export type Drift = typeof Drift.Type

/**
 * One scripted answer. `{}` serves the request normally; `status` >= 400 answers
 * with that status's JSON error; `html` with the HTML 502 page; `body` with that
 * raw body (status default 200); `cut` and `truncate` apply to whatever is served.
 */
export const ScriptStep = Schema.Struct({
  status: Schema.optional(Schema.Int.pipe(Schema.between(100, 599))),
  /** The raw `Retry-After` header value: seconds or an HTTP date. */
  retryAfter: Schema.optional(Schema.String),
  /** Overrides the rate-limit reset header (and sets remainings to 0). */
  reset: Schema.optional(NonNegativeInt),
  cut: Schema.optional(Schema.Boolean),
  html: Schema.optional(Schema.Boolean),
  body: Schema.optional(Schema.String),
  truncate: Schema.optional(Schema.Boolean),
  delayMs: Schema.optional(NonNegativeInt)
})
export type ScriptStep = typeof ScriptStep.Type

/** Every fault; absent means off. In a patch, `null` turns a fault off and absent leaves it as is. */
export const Faults = Schema.Struct({
  latency: Schema.optional(Schema.NullOr(Latency)),
  errors: Schema.optional(Schema.NullOr(ServerErrors)),
  rateLimit: Schema.optional(Schema.NullOr(RateLimit)),
  cut: Schema.optional(Schema.NullOr(Trigger)),
  html: Schema.optional(Schema.NullOr(Trigger)),
  truncate: Schema.optional(Schema.NullOr(Truncate)),
  drift: Schema.optional(Schema.NullOr(Drift)),
  /** Consumed one entry per API request, before any other fault; the rest is what is left. */
  script: Schema.optional(Schema.NullOr(Schema.Array(ScriptStep)))
})
export type Faults = typeof Faults.Type

/** A patch turning every fault off. */
export const allOff: Faults = Object.fromEntries(Object.keys(Faults.fields).map((name) => [name, null]))

export const decode = Schema.decodeUnknownEither(Faults, { onExcessProperty: "error" })

export interface Decision {
  readonly delayMs: number
  /** A ready answer that replaces serving the request. */
  readonly injected: Http.Reply | undefined
  /** Destroy the socket halfway through the body. */
  readonly cut: boolean
  /** Forced by the script; otherwise the listing asks `truncateListing`. */
  readonly truncate: boolean
  readonly scripted: boolean
  /** A script's override of the rate-limit reset header, which also sets remainings to 0. */
  readonly reset: number | undefined
  /** The fault's name for the request log. */
  readonly fault: string | undefined
}

const json = (status: number, headers: Record<string, string> = {}): Http.Reply => ({
  status,
  contentType: "application/json",
  body: JSON.stringify(ApiError.forStatus(status)),
  headers
})

const html = (status: number): Http.Reply => ({
  status,
  contentType: "text/html",
  body: ApiError.htmlBadGateway,
  headers: {}
})

const fires = (trigger: Trigger | null | undefined, count: number, random: Random.Random): boolean =>
  trigger != null &&
  ((trigger.every !== undefined && count % trigger.every === 0) ||
    (trigger.rate !== undefined && random.next() < trigger.rate))

/**
 * The fault state of one server: its configuration, the counters behind
 * "every Nth", the token bucket, the script queue and the seeded generator.
 */
export class FaultEngine {
  private config: Faults = {}
  private script: Array<ScriptStep> = []
  /** API requests (not scripted) since the faults were last set, for "every Nth". */
  private requests = 0
  /** Listing requests since the faults were last set, for truncation's "every Nth". */
  private listings = 0
  private tokens = 0
  private refilledAt = 0

  constructor(
    private readonly random: Random.Random,
    faults: Faults,
    now: number
  ) {
    this.set(faults, now)
  }

  get current(): Faults {
    return this.script.length === 0 ? this.config : { ...this.config, script: [...this.script] }
  }

  /** Merges a patch: `null` turns a fault off, an absent key leaves it as is. Counters restart. */
  set(patch: Faults, now: number): void {
    const merged: Record<string, unknown> = { ...this.config }
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) delete merged[name]
      else if (value !== undefined) merged[name] = value
    }
    const { script, ...config } = merged as Faults
    if ("script" in patch) this.script = script == null ? [] : [...script]
    this.config = config
    this.requests = 0
    this.listings = 0
    if ("rateLimit" in patch && config.rateLimit != null) {
      this.tokens = config.rateLimit.capacity
      this.refilledAt = now
    }
  }

  /** What to do with the next API request. */
  decide(now: number): Decision {
    const step = this.script.shift()
    if (step !== undefined) return this.scripted(step)
    const delayMs = this.latency()
    const plain = { delayMs, cut: false, truncate: false, scripted: false, reset: undefined }
    this.requests++
    const { errors, rateLimit } = this.config
    if (rateLimit != null && !this.take(rateLimit, now)) {
      const headers: Record<string, string> = rateLimit.retryAfter === false
        ? {}
        : { "retry-after": String(Math.ceil((1 - this.tokens) / rateLimit.refillPerSecond)) }
      return { ...plain, injected: json(429, headers), fault: "rate-limit" }
    }
    if (fires(errors, this.requests, this.random)) {
      const status = this.random.pick(errors?.statuses ?? ServerErrorStatus.literals)
      return { ...plain, injected: json(status), fault: "error" }
    }
    if (fires(this.config.html, this.requests, this.random)) return { ...plain, injected: html(502), fault: "html" }
    const cut = fires(this.config.cut, this.requests, this.random)
    return { ...plain, injected: undefined, cut, fault: cut ? "cut" : undefined }
  }

  /** Whether this listing page loses a row (counts listing requests). */
  truncateListing(page: number): boolean {
    this.listings++
    const truncate = this.config.truncate
    return truncate != null && (truncate.page === page || fires(truncate, this.listings, this.random))
  }

  /** The drift to apply after serving listing page `page`, once: it disarms itself. */
  driftAfter(page: number): Drift | undefined {
    const drift = this.config.drift
    if (drift == null || drift.afterPage !== page) return undefined
    const { drift: _fired, ...rest } = this.config
    this.config = rest
    return drift
  }

  /** What the token bucket's headers say, when it is set; `reset` is the seconds until it is full. */
  bucketStatus(now: number): RateLimitHeaders.Status | undefined {
    const rateLimit = this.config.rateLimit
    if (rateLimit == null) return undefined
    this.refill(rateLimit, now)
    return {
      limit: rateLimit.capacity,
      remaining: Math.floor(this.tokens),
      reset: Math.ceil((rateLimit.capacity - this.tokens) / rateLimit.refillPerSecond)
    }
  }

  private scripted(step: ScriptStep): Decision {
    const headers: Record<string, string> = step.retryAfter === undefined ? {} : { "retry-after": step.retryAfter }
    const injected: Http.Reply | undefined = step.html === true
      ? { ...html(step.status ?? 502), headers }
      : step.body !== undefined
      ? { status: step.status ?? 200, contentType: "application/json", body: step.body, headers }
      : step.status !== undefined && step.status >= 400
      ? json(step.status, headers)
      : undefined
    return {
      delayMs: step.delayMs ?? 0,
      injected,
      cut: step.cut === true,
      truncate: step.truncate === true,
      scripted: true,
      reset: step.reset,
      fault: "script"
    }
  }

  private latency(): number {
    const latency = this.config.latency
    if (latency == null) return 0
    return typeof latency === "number" ? latency : latency.min + this.random.int(latency.max - latency.min + 1)
  }

  private refill(rateLimit: RateLimit, now: number): void {
    this.tokens = Math.min(rateLimit.capacity, this.tokens + ((now - this.refilledAt) / 1000) * rateLimit.refillPerSecond)
    this.refilledAt = now
  }

  private take(rateLimit: RateLimit, now: number): boolean {
    this.refill(rateLimit, now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
