import * as Schema from "effect/Schema"

/** The envelope every listing shares: `pages` is ceil(total / limit), 0 when nothing matches. */
export const Page = <A, I>(row: Schema.Schema<A, I>) =>
  Schema.Struct({
    rows: Schema.Array(row),
    total: Schema.NonNegativeInt,
    pages: Schema.NonNegativeInt,
    page: Schema.NonNegativeInt
  })

export interface Paged<A> {
  readonly rows: ReadonlyArray<A>
  /** Rows the server sent that the client could not read: they still make the page non-empty. */
  readonly unreadable?: ReadonlyArray<unknown>
  readonly pages: number
}
