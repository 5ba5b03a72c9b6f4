import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import type { syncRuns } from "../db/schema.js"

type Run = typeof syncRuns.$inferSelect

const number = new Intl.NumberFormat("en-US")

const took = (run: Run) =>
  run.finishedAt === null ? "" : ` in ${Duration.format(Duration.millis(Date.parse(run.finishedAt) - Date.parse(run.startedAt)))}`

/** `run 3 (test) succeeded in 2s 310ms: 3,002 rows over 32 pages; 5 inserted, 3 updated, … ; no drift` */
export const summaryLine = (run: Run) =>
  `run ${run.id} (${run.source}) ${run.status}${took(run)}: ${number.format(run.rowsFetched)} rows over ${
    number.format(run.pagesFetched)
  } pages; ${number.format(run.inserted)} inserted, ${number.format(run.updated)} updated, ${
    number.format(run.unchanged)
  } unchanged, ${number.format(run.deleted)} deleted, ${number.format(run.restored)} restored; ${
    run.driftDetected ? `drift detected, ${number.format(run.idsChecked)} ids checked` : "no drift"
  }`

/** The run's summary on stdout: one line, or its `sync_runs` row as a JSON object. */
export const printRun = (run: Run, json: boolean) => Console.log(json ? JSON.stringify(run) : summaryLine(run))

const cell = (value: unknown) => (value === null || value === undefined ? "" : String(value))

/** Rows as an aligned text table with a header, as `sqlite3 -column` prints them. */
export const table = (rows: ReadonlyArray<Record<string, unknown>>) => {
  if (rows.length === 0) return "(no rows)"
  const columns = Object.keys(rows[0]!)
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((text, i) => text.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(columns), line(widths.map((width) => "-".repeat(width))), ...rows.map((row) => line(columns.map((column) => cell(row[column]))))]
    .join("\n")
}
