import { render, type ResultTable } from "../../query/Format.js"
import { number } from "../Output.js"

export interface Limits {
  readonly maxRows: number
  readonly maxBytes: number
}

/** A result as an agent receives it: the rows as JSON objects, and what was cut, if anything. */
export interface CappedResult {
  readonly columns: ReadonlyArray<string>
  readonly rowCount: number
  /** Why fewer than `rowCount` rows are shown, or undefined when all are. */
  readonly cut?: string
  readonly rows: ReadonlyArray<unknown>
}

/**
 * The first rows of `result` that fit both limits, each as `picasync query --format json` shows it
 * (JSON text such as `tags` or `raw` as JSON); the bytes are those of the rows' JSON.
 */
export const cap = (result: ResultTable, limits: Limits): CappedResult => {
  const rows: Array<unknown> = []
  let bytes = 0
  let cutBy: "rows" | "bytes" | undefined
  for (const row of result.rows) {
    if (rows.length === limits.maxRows) {
      cutBy = "rows"
      break
    }
    const line = render({ columns: result.columns, rows: [row] }, "ndjson")
    const size = Buffer.byteLength(line)
    if (bytes + size > limits.maxBytes) {
      cutBy = "bytes"
      break
    }
    bytes += size
    rows.push(JSON.parse(line))
  }
  const rowCount = result.rows.length
  if (cutBy === undefined) return { columns: result.columns, rowCount, rows }
  const limit = cutBy === "rows"
    ? `the limit of ${number.format(limits.maxRows)} rows (--max-rows)`
    : `the limit of ${number.format(limits.maxBytes)} bytes (--max-bytes)`
  return {
    columns: result.columns,
    rowCount,
    cut: `cut: only the first ${number.format(rows.length)} of ${number.format(rowCount)} rows are shown, ${limit}; ` +
      "narrow the query (WHERE, LIMIT and OFFSET, or aggregates) to see the rest",
    rows
  }
}
