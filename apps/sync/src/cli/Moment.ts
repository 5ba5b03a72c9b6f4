import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { interval } from "./Flags.js"
import { UsageError } from "./UsageError.js"

const date = /^\d{4}-\d{2}-\d{2}$/
/** An instant must say its offset: without one, the same text would mean another moment on another machine. */
const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i

/** The instant the interval `value` (`30m`, `7d`) before now, as ISO 8601; a usage error naming `flag` otherwise. */
export const ago = (flag: string, value: string) =>
  Effect.gen(function*() {
    const span = yield* interval(flag, value)
    return new Date((yield* Clock.currentTimeMillis) - Duration.toMillis(span)).toISOString()
  })

/**
 * A flag's TIME as an ISO 8601 instant (UTC, milliseconds, the form the mirror's stamps take): an instant with
 * its offset, a date (its first moment, UTC) or a duration meaning that long ago (`7d`); else a usage error.
 */
export const moment = (flag: string, value: string) =>
  Effect.gen(function*() {
    const text = value.trim()
    if (/^\d+[smhd]$/.test(text)) return yield* ago(flag, text)
    const millis = date.test(text) ? Date.parse(`${text}T00:00:00Z`) : instant.test(text) ? Date.parse(text) : NaN
    if (Number.isNaN(millis)) {
      return yield* new UsageError({
        message: `${flag} takes an ISO 8601 instant (2026-11-30T09:00:00Z), a date (2026-11-30, from its first moment in UTC) ` +
          `or a duration meaning that long ago (30m, 12h, 7d); got "${value}"`
      })
    }
    return new Date(millis).toISOString()
  })
