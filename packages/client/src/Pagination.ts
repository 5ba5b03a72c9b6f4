import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Paged } from "./Page.js"

export interface PaginationOptions {
  /** How many of pages 2..N are fetched at once; they are still emitted in order. Default 1. */
  readonly concurrency?: number | undefined
}

const isEmpty = (page: Paged<unknown>) => page.rows.length === 0 && (page.unreadable?.length ?? 0) === 0

const isLastPage = (requested: number, page: Paged<unknown>) => requested >= page.pages || isEmpty(page)

/**
 * Every page of an offset-paged listing, in server order. The first page tells how many pages
 * there are; the rest are fetched `concurrency` at a time. The scan ends at the last page or
 * at the first empty one (the server may count rows it does not return), never on
 * "collected < total".
 */
export const paginate = <P extends Paged<unknown>, E, R>(
  fetchPage: (page: number) => Effect.Effect<P, E, R>,
  first: number,
  options?: PaginationOptions
): Stream.Stream<P, E, R> =>
  Stream.unwrap(
    Effect.map(fetchPage(first), (firstPage) =>
      isLastPage(first, firstPage)
        ? Stream.succeed(firstPage)
        : Stream.concat(
          Stream.succeed(firstPage),
          Stream.range(first + 1, firstPage.pages).pipe(
            Stream.mapEffect(fetchPage, { concurrency: Math.max(1, options?.concurrency ?? 1) }),
            Stream.takeWhile((page) => !isEmpty(page))
          )
        ))
  )
