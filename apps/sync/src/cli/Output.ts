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
