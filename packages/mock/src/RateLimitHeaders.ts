/** What the three rate-limit headers of a response say. */
export interface Status {
  readonly limit: number
  /** Sent as `…-remainings` (sic), as the real service spells it. */
  readonly remaining: number
  /** Seconds; the real service always sends its window's length, never the time left. */
  readonly reset: number
}

export const defaultPrefix = "x-pica-"

/** What a server with neither limiter nor rate-limit fault sends. */
export const unlimited: Status = { limit: 1000, remaining: 1000, reset: 0 }

/** Header names are server configuration: the "One" host may use `x-one-`. */
export const validPrefix = (prefix: string): boolean => /^[a-z0-9-]*$/.test(prefix)

export const headers = (prefix: string, status: Status): Record<string, string> => ({
  [`${prefix}rate-limit-limit`]: String(status.limit),
  [`${prefix}rate-limit-remainings`]: String(status.remaining),
  [`${prefix}rate-limit-reset`]: String(status.reset)
})
