/** Offset pagination shared by every listing the mock serves. */
export interface Page<A> {
  readonly rows: ReadonlyArray<A>
  /** How many items match, on every page. */
  readonly total: number
}

/** One page of `items`, scanning only as far as needed when there is no predicate. */
export const select = <A>(
  items: ReadonlyArray<A>,
  predicate: ((item: A) => boolean) | undefined,
  offset: number,
  limit: number
): Page<A> => {
  if (predicate === undefined) return { rows: items.slice(offset, offset + limit), total: items.length }
  const rows: Array<A> = []
  let total = 0
  for (const item of items) {
    if (!predicate(item)) continue
    if (total >= offset && rows.length < limit) rows.push(item)
    total++
  }
  return { rows, total }
}

export const pageCount = (total: number, limit: number): number => Math.ceil(total / limit)
