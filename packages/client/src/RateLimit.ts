import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

type Headers = Readonly<Record<string, string | undefined>>

/** The real service says `x-pica-`; the "One" host may say `x-one-`. */
const prefixes = ["x-pica-rate-limit-", "x-one-rate-limit-"] as const

/** A numeric rate-limit header under either prefix. */
const header = (headers: Headers, name: string): number | undefined => {
  for (const prefix of prefixes) {
    const text = headers[`${prefix}${name}`]?.trim()
    if (text !== undefined && text !== "" && Number.isFinite(Number(text))) return Number(text)
  }
  return undefined
}

/** Requests left in the window (`remainings`, sic, on the real service). */
export const remaining = (headers: Headers) => header(headers, "remainings") ?? header(headers, "remaining")

/**
 * Milliseconds the reset header stands for. The real service always sends the window's length in
 * seconds; a value this large is a Unix time instead.
 */
export const resetMillis = (headers: Headers, now: number): number | undefined => {
  const reset = header(headers, "reset")
  if (reset === undefined) return undefined
  return Math.max(0, reset > 1_000_000_000 ? reset * 1000 - now : reset * 1000)
}

/** Milliseconds `Retry-After` asks for, in seconds or as an HTTP date; a proxy may send it, the real service does not. */
export const retryAfter = (headers: Headers, now: number): number | undefined => {
  const text = headers["retry-after"]?.trim()
  if (text === undefined || text === "") return undefined
  const seconds = Number(text)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(text)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/**
 * Holds a client's requests, whatever their concurrency, while the server's window is known to be
 * spent, so the client does not send into a wall it can see coming.
 */
export interface RateGate {
  /** Waits until a request may go; returns its ticket, the request's place in sending order. */
  readonly enter: Effect.Effect<number>
  /** Learns from the rate-limit headers of the answer to request `ticket`. */
  readonly observe: (ticket: number, headers: Headers) => Effect.Effect<void>
  /** Holds every request for `millis` (what a 429 asked for) and starts a new window after it. */
  readonly close: (millis: number) => Effect.Effect<void>
  /** Milliseconds until the current window turns at the latest, when known. */
  readonly windowLeft: Effect.Effect<number | undefined>
}

interface State {
  /** Tickets handed out so far. */
  readonly sent: number
  /** Answers to tickets below this one belong to a window already over. */
  readonly windowFirstTicket: number
  /** When the current window has turned at the latest: its first answer came no earlier than its start. */
  readonly windowEnd: number | undefined
  /** Lowest `remaining + ticket + 1` of the window's answers: `floor - sent` requests are left. */
  readonly floor: number | undefined
  readonly closedUntil: number
}

type Decision = { readonly go: number } | { readonly wait: number }

const newWindow = (state: State, windowEnd: number | undefined): State => ({
  ...state,
  windowFirstTicket: state.sent,
  windowEnd,
  floor: undefined
})

const decide = (now: number) => (state: State): readonly [Decision, State] => {
  if (now < state.closedUntil) return [{ wait: state.closedUntil - now }, state]
  const current = state.windowEnd !== undefined && now >= state.windowEnd ? newWindow(state, undefined) : state
  if (current.floor !== undefined && current.windowEnd !== undefined && current.floor - current.sent <= 0) {
    return [{ wait: current.windowEnd - now }, { ...current, closedUntil: current.windowEnd }]
  }
  return [{ go: current.sent }, { ...current, sent: current.sent + 1 }]
}

export const makeGate: Effect.Effect<RateGate> = Effect.map(
  Ref.make<State>({ sent: 0, windowFirstTicket: 0, windowEnd: undefined, floor: undefined, closedUntil: 0 }),
  (state): RateGate => {
    const enter: Effect.Effect<number> = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(Ref.modify(state, decide(now)), (decision) =>
        "go" in decision
          ? Effect.succeed(decision.go)
          : Effect.annotateCurrentSpan("pica.rate_limit.held_ms", decision.wait).pipe(
            Effect.zipRight(Effect.sleep(decision.wait)),
            Effect.zipRight(enter)
          )))
    const observe = (ticket: number, headers: Headers) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const left = remaining(headers)
        if (left === undefined) return Effect.void
        const reset = resetMillis(headers, now)
        return Ref.update(state, (s) =>
          ticket < s.windowFirstTicket ? s : {
            ...s,
            windowEnd: s.windowEnd ?? (reset === undefined ? undefined : now + reset),
            floor: Math.min(s.floor ?? Number.POSITIVE_INFINITY, left + ticket + 1)
          })
      })
    const close = (millis: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(state, (s) => ({ ...newWindow(s, now + millis), closedUntil: Math.max(s.closedUntil, now + millis) })))
    const windowLeft = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(Ref.get(state), (s) => (s.windowEnd === undefined ? undefined : Math.max(0, s.windowEnd - now))))
    return { enter, observe, close, windowLeft }
  }
)
