import { Either, Schema } from "effect"

/**
 * What the server does with a `limit` above its cap. `clamp`: the page holds `cap` rows, and offsets
 * and `pages` follow the cap, as if `cap` had been asked. `skew`: the page holds `cap` rows, but
 * offsets and `pages` follow the size asked, so page 2 starts after rows never sent. `refuse`: 400
 * naming `limit`.
 */
export const OverCap = Schema.Literal("clamp", "skew", "refuse")
export type OverCap = typeof OverCap.Type

export const overCapModes: ReadonlyArray<OverCap> = OverCap.literals

/** A change to the page cap; `cap: null` lifts it. */
export const PageCap = Schema.Struct({
  cap: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)))),
  overCap: Schema.optional(OverCap)
})
export type PageCap = typeof PageCap.Type

/** The page cap in force. */
export interface Settings {
  /** The most rows a page holds; null: no cap. */
  readonly cap: number | null
  readonly overCap: OverCap
}

/** What the mock always did: pages of at most 100, larger `limit`s clamped. */
export const defaults: Settings = { cap: 100, overCap: "clamp" }

export const decode = Schema.decodeUnknownEither(PageCap, { onExcessProperty: "error" })

/** An absent (or undefined) key leaves that setting as it is. */
export const merge = (settings: Settings, patch: PageCap): Settings => ({
  cap: patch.cap === undefined ? settings.cap : patch.cap,
  overCap: patch.overCap ?? settings.overCap
})

/** Where page `page` of a listing asked at `limit` starts, how many rows it holds, and the size `pages` is counted by. */
export interface Window {
  readonly offset: number
  readonly size: number
  readonly countedBy: number
}

/** The window a request gets under the cap, or why a refusing server answers 400. */
export const window = (settings: Settings, limit: number, page: number): Either.Either<Window, string> => {
  const { cap, overCap } = settings
  if (cap === null || limit <= cap) return Either.right({ offset: (page - 1) * limit, size: limit, countedBy: limit })
  switch (overCap) {
    case "clamp":
      return Either.right({ offset: (page - 1) * cap, size: cap, countedBy: cap })
    case "skew":
      return Either.right({ offset: (page - 1) * limit, size: cap, countedBy: limit })
    case "refuse":
      return Either.left(`limit must be at most ${cap}, got ${limit}`)
  }
}
