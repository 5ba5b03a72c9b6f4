import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { renderer } from "../../query/Format.js"
import type { Rows } from "../../query/Query.js"
import { thousands } from "../../Thousands.js"

const utf8 = new TextDecoder()

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
 * The first rows that fit both limits, each as `picasync query --format json` shows it (JSON text such
 * as `tags` or `raw` as JSON); the bytes are those of the rows' JSON. The rows past the cut are counted
 * as they stream by, never held.
 */
export const cap = ({ batches, columns }: Rows, limits: Limits) =>
  Effect.suspend(() => {
    const ndjson = renderer(columns, "ndjson")
    const rows: Array<unknown> = []
    let bytes = 0
    let rowCount = 0
    let cutBy: "rows" | "bytes" | undefined
    return Stream.runForEach(batches, (batch) =>
      Effect.sync(() => {
        for (const row of batch) {
          rowCount++
          if (cutBy !== undefined) continue
          if (rows.length === limits.maxRows) {
            cutBy = "rows"
            continue
          }
          const line = ndjson.rows([row])
          if (bytes + line.byteLength > limits.maxBytes) {
            cutBy = "bytes"
            continue
          }
          bytes += line.byteLength
          rows.push(JSON.parse(utf8.decode(line)))
        }
      })).pipe(Effect.map((): CappedResult => {
        if (cutBy === undefined) return { columns, rowCount, rows }
        const limit = cutBy === "rows"
          ? `the limit of ${thousands(limits.maxRows)} rows (--max-rows)`
          : `the limit of ${thousands(limits.maxBytes)} bytes (--max-bytes)`
        return {
          columns,
          rowCount,
          cut: `cut: only the first ${thousands(rows.length)} of ${thousands(rowCount)} rows are shown, ${limit}; ` +
            "narrow the query (WHERE, LIMIT and OFFSET, or aggregates) to see the rest",
          rows
        }
      }))
  })
