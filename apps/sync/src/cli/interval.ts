import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { UsageError } from "./UsageError.js"

const units: Record<string, Duration.DurationInput> = { s: "1 second", m: "1 minute", h: "1 hour", d: "1 day" }

/** `30s`, `5m`, `1h`, `7d`: a flag's interval, or a usage error naming the flag. */
export const interval = (flag: string, value: string) => {
  const match = /^(\d+)(s|m|h|d)$/.exec(value.trim())
  return match === null || Number(match[1]) === 0
    ? Effect.fail(new UsageError({ message: `${flag} takes an interval such as 30s, 5m, 1h or 7d; got "${value}"` }))
    : Effect.succeed(Duration.times(Duration.decode(units[match[2]!]!), Number(match[1])))
}
