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
  for (let end = 1; end <= rows.length; end++) {
    if (end < rows.length && tied(rows[start]!, rows[end]!)) continue
    // Fisher-Yates over rows[start, end).
    for (let i = end - 1; i > start; i--) {
      const j = start + random.int(i - start + 1)
      ;[rows[i], rows[j]] = [rows[j]!, rows[i]!]
    }
    start = end
  }
  return rows.slice(selection.before.length, selection.before.length + selection.rows.length)
}
