import type { Connection } from "./Connection.js"
import type * as Page from "./Page.js"
import type * as Random from "./Random.js"

/** Rows the real API cannot order: it sorts by `createdAt` alone, with no tie-break. */
export const tied = (a: Connection, b: Connection): boolean => a.createdAt === b.createdAt

/**
 * The page's rows with each run of tied rows in a fresh random order, the runs
 * it cuts at its edges included: one response stays sorted by `createdAt`, but a
 * row of a run straddling two pages can show on both or on neither.
 */
export const shuffled = (
  selection: Page.Selection<Connection>,
  random: Random.Random
): ReadonlyArray<Connection> => {
  const rows = [...selection.before, ...selection.rows, ...selection.after]
  let start = 0
  let first = rows[0]
  for (let end = 1; end <= rows.length; end++) {
    const row = rows[end]
    if (first !== undefined && row !== undefined && tied(first, row)) continue
    shuffle(rows, start, end, random)
    start = end
    first = row
  }
  return rows.slice(selection.before.length, selection.before.length + selection.rows.length)
}

/** Fisher-Yates over `rows[start, end)`, in place. */
const shuffle = (rows: Array<Connection>, start: number, end: number, random: Random.Random): void => {
  for (let i = end - 1; i > start; i--) {
    const j = start + random.int(i - start + 1)
    const a = rows[i]
    const b = rows[j]
    // Both indexes lie in the range; the check only tells the type so.
    if (a === undefined || b === undefined) continue
    rows[i] = b
    rows[j] = a
  }
}
