/** Offset pagination shared by every listing the mock serves. */
export interface Page<A> {
  readonly rows: ReadonlyArray<A>
  /** How many items match, on every page. */
  readonly total: number
}

/** A page and, when asked, the rest of the groups of tied items it cuts at its edges. */
export interface Selection<A> extends Page<A> {
  /** Matching items just before the page, tied with its first row. */
  readonly before: ReadonlyArray<A>
  /** Matching items just after the page, tied with its last row. */
  readonly after: ReadonlyArray<A>
}

const none: ReadonlyArray<never> = Object.freeze([])

/**
 * One page of `items`: a slice when there is no predicate, else one scan that
 * keeps only the page (and its tied neighbours, with `tied`). Items are never
 * nullish, so `undefined` stands for an item that is not there.
 */
export const select = <A extends {}>(
  items: ReadonlyArray<A>,
  predicate: ((item: A) => boolean) | undefined,
  offset: number,
  limit: number,
  tied?: (a: A, b: A) => boolean
): Selection<A> => {
  if (predicate === undefined) {
    const end = Math.min(offset + limit, items.length)
    const rows = items.slice(offset, end)
    const first = rows[0]
    const last = rows[rows.length - 1]
    if (tied === undefined || first === undefined || last === undefined) {
      return { rows, total: items.length, before: none, after: none }
    }
    let from = offset
    for (let item = items[from - 1]; item !== undefined && tied(item, first); item = items[from - 1]) from--
    let to = end
    for (let item = items[to]; item !== undefined && tied(item, last); item = items[to]) to++
    return { rows, total: items.length, before: items.slice(from, offset), after: items.slice(end, to) }
  }
  const rows: Array<A> = []
  const before: Array<A> = []
  const after: Array<A> = []
  let afterOpen = tied !== undefined
  let total = 0
  // The last matching item before the page, and the page's last row: what a next item may be tied with.
  let lastBefore: A | undefined
  let lastRow: A | undefined
  for (const item of items) {
    if (!predicate(item)) continue
    if (total < offset) {
      if (tied !== undefined) {
        // Only the last run of tied items before the page can touch it.
        if (lastBefore !== undefined && !tied(lastBefore, item)) before.length = 0
        before.push(item)
        lastBefore = item
      }
    } else if (rows.length < limit) {
      rows.push(item)
      lastRow = item
    } else if (afterOpen) {
      if (tied !== undefined && lastRow !== undefined && tied(lastRow, item)) after.push(item)
      else afterOpen = false
    }
    total++
  }
  const first = rows[0]
  const touching = tied !== undefined && first !== undefined && lastBefore !== undefined && tied(lastBefore, first)
  return { rows, total, before: touching ? before : none, after }
}

export const pageCount = (total: number, limit: number): number => Math.ceil(total / limit)
