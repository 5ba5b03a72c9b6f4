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
 * keeps only the page (and its tied neighbours, with `tied`).
 */
export const select = <A>(
  items: ReadonlyArray<A>,
  predicate: ((item: A) => boolean) | undefined,
  offset: number,
  limit: number,
  tied?: (a: A, b: A) => boolean
): Selection<A> => {
  if (predicate === undefined) {
    const end = Math.min(offset + limit, items.length)
    const rows = items.slice(offset, end)
    if (tied === undefined || rows.length === 0) return { rows, total: items.length, before: none, after: none }
    let from = offset
    while (from > 0 && tied(items[from - 1]!, rows[0]!)) from--
    let to = end
    while (to < items.length && tied(items[to]!, rows[rows.length - 1]!)) to++
    return { rows, total: items.length, before: items.slice(from, offset), after: items.slice(end, to) }
  }
  const rows: Array<A> = []
  const before: Array<A> = []
  const after: Array<A> = []
  let afterOpen = tied !== undefined
  let total = 0
  for (const item of items) {
    if (!predicate(item)) continue
    if (total < offset) {
      if (tied !== undefined) {
        // Only the last run of tied items before the page can touch it.
        if (before.length > 0 && !tied(before[before.length - 1]!, item)) before.length = 0
        before.push(item)
      }
    } else if (rows.length < limit) {
      rows.push(item)
    } else if (afterOpen) {
      if (tied!(rows[rows.length - 1]!, item)) after.push(item)
      else afterOpen = false
    }
    total++
  }
  const touching = rows.length > 0 && before.length > 0 && tied!(before[before.length - 1]!, rows[0]!)
  return { rows, total, before: touching ? before : none, after }
}

export const pageCount = (total: number, limit: number): number => Math.ceil(total / limit)
