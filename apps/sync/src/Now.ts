import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/** The current instant as ISO 8601 text, the form every timestamp column holds. */
export const isoNow: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())
