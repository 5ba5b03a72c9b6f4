import type { PicaError } from "@picasync/client"

/**
 * The size a scan asks for. The API documents no maximum for `limit`, so a sync asks for large pages
 * and learns from page 1 of each listing what the server really gives; `--page-size` fixes it instead.
 */
export interface PageSize {
  /** `limit` of page 1 of each listing. */
  readonly asked: number
  /** Whether the pages after the first follow what page 1 showed, or keep `asked`. */
  readonly adapts: boolean
}

/** What an adaptive scan asks for first: ten times what official clients ask, a tenth of the requests. */
export const LARGE = 1_000

/** What every official client asks for: the size a server that refuses a larger `limit` gets. */
export const FALLBACK = 100

/** `size` when given (`--page-size`), else large and adapting. */
export const make = (size: number | undefined): PageSize =>
  size === undefined ? { asked: LARGE, adapts: true } : { asked: size, adapts: false }

export const fixed = (size: number): PageSize => ({ asked: size, adapts: false })

/** What page 1 of a listing, asked at `asked` rows, answered. */
export interface FirstPage {
  /** Rows it held, readable or not. */
  readonly served: number
  readonly total: number
  readonly pages: number
}

/** Pages of `total` rows at `size` a page, as the API counts them. */
export const pageCount = (total: number, size: number): number => Math.ceil(total / size)

/** `pages` counted by a smaller size than asked: the server paged by its cap. */
const pagedSmaller = (asked: number, page: FirstPage) => page.pages > pageCount(page.total, asked)

/**
 * A page shows a cap below `asked` when it holds fewer rows than asked although the listing has more
 * (page 1 is then not the last page, whatever `pages` says), or when `pages` is counted by a smaller
 * size. Rows the server hides while counting them also make a page short: that costs a few requests,
 * never a row.
 */
const showsCap = (asked: number, page: FirstPage) =>
  pagedSmaller(asked, page) || (page.served > 0 && page.served < Math.min(asked, page.total))

/**
 * The most the page proves a page of this server holds: the rows it served, or, when `pages` is
 * counted by the server's cap, the smallest size that gives that many pages (the rows it served may
 * be fewer: it hides some).
 */
const provenSize = (asked: number, page: FirstPage) =>
  pagedSmaller(asked, page) && page.pages > 0 ? Math.max(page.served, Math.ceil(page.total / page.pages)) : page.served

/** What page 1 of each listing shows of the server's page size. */
export interface Learned {
  /** The size the pages after the first ask for. */
  readonly size: number
  /** The largest size page 1 proves the server gives: below `size`, `size` is a guess the scan must confirm. */
  readonly proven: number
}

/** Caps are set in round sizes: multiples of this. */
const ROUND = 50

/**
 * A page a little short (at most 2%) of a round size: short of rows the server hides, most likely,
 * so the round size, to be confirmed; unless a page's `pages`, counted by the server's cap, say otherwise.
 */
const guess = (asked: number, proven: number, firsts: ReadonlyArray<FirstPage>) => {
  const round = Math.min(asked, Math.ceil(proven / ROUND) * ROUND)
  const counted = firsts.every((page) => !pagedSmaller(asked, page) || pageCount(page.total, round) === page.pages)
  return counted && round - proven <= round / 50 ? round : proven
}

/**
 * The size the pages after the first ask for, from page 1 of each listing asked at `asked`: `asked`
 * unless a page shows a cap, else the largest size the pages prove the server gives, or the round
 * size just above it. A proven size is at most the cap, where a server honours `limit` exactly however
 * it counts pages beyond it; page 1 already holds its first rows, so paging on from page 2 at that size
 * leaves no gap. A guess leaves one unless page 1 held the guess's rows too: the scan checks it did.
 */
export const learn = (asked: number, firsts: ReadonlyArray<FirstPage>): Learned => {
  if (!firsts.some((page) => showsCap(asked, page))) return { size: asked, proven: asked }
  const proven = Math.min(asked, Math.max(1, ...firsts.map((page) => provenSize(asked, page))))
  return { size: guess(asked, proven, firsts), proven }
}

/**
 * A 400 to a page asked above `FALLBACK`: a server may refuse a `limit` it deems too large. Whatever
 * else the 400 was about, the same page at `FALLBACK` meets it again and fails the run with it.
 */
export const refusedLimit = (asked: number) => (error: PicaError): boolean =>
  error._tag === "PicaBadRequestError" && error.status === 400 && asked > FALLBACK
