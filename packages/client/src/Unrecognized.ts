import * as Schema from "effect/Schema"

/**
 * A string the API sent where the client expected one of a known set of values.
 * The brand lets callers tell a new, unrecognised value from a known one.
 */
export const Unrecognized = Schema.String.pipe(Schema.brand("@picasync/client/Unrecognized"))
export type Unrecognized = typeof Unrecognized.Type

/**
 * Accepts the known literals and, so that a new value on the server never fails a
 * whole listing, any other string branded as {@link Unrecognized}.
 */
export const tolerantLiterals = <const Literals extends ReadonlyArray<string>>(...literals: Literals) => {
  const known = Schema.Literal(...literals)
  return Object.assign(Schema.Union(known, Unrecognized), {
    known,
    isKnown: Schema.is(known)
  })
}
