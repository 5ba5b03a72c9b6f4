import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { SyncRun } from "../SyncRun.js"
import { thousands } from "../Thousands.js"
import { Stdio } from "./Stdio.js"

type Run = SyncRun

/** Writes `text` as is: `Console.log` would add a line break CSV and NDJSON do not want. */
export const write = (text: string) => Effect.map(Stdio, ({ stdout }) => stdout.write(text))

/** `value` as indented JSON, or as the text `render` makes of it. */
export const printTextOrJson = <A>(format: "table" | "json", value: A, render: (value: A) => string) =>
  write(format === "json" ? `${JSON.stringify(value, null, 2)}\n` : render(value))

const took = (run: Run) =>
  run.finishedAt === null ? "" : ` in ${Duration.format(Duration.millis(Date.parse(run.finishedAt) - Date.parse(run.startedAt)))}`

/** Only when there were any: most inventories have no tied rows at a page boundary. */
const tieRereads = (run: Run) =>
  run.tieRereads > 0 ? ` (${thousands(run.tieRereads)} re-read for rows tied on createdAt)` : ""

/** Unknown for runs recorded before it was. */
const pageSize = (run: Run) => (run.pageSize === null ? "" : ` of ${thousands(run.pageSize)}`)

/** `run 3 (test) succeeded in 2s 310ms: 3,002 rows over 32 pages of 100; 5 inserted, 3 updated, … ; no drift` */
export const summaryLine = (run: Run) =>
  `run ${run.id} (${run.source}) ${run.status}${took(run)}: ${thousands(run.rowsFetched)} rows over ${
    thousands(run.pagesFetched)
  } pages${pageSize(run)}${tieRereads(run)}; ${thousands(run.inserted)} inserted, ${thousands(run.updated)} updated, ${
    thousands(run.unchanged)
  } unchanged, ${thousands(run.deleted)} deleted, ${thousands(run.restored)} restored; ${
    run.driftDetected ? `drift detected, ${thousands(run.idsChecked)} ids checked` : "no drift"
  }${notes(run)}`

/** What a run met from the API that an operator should know, only when it happened. */
export const notes = (run: Pick<Run, "rowsUnreadable" | "rowsUnlisted" | "idsUnconfirmed">) =>
  [
    run.rowsUnreadable > 0 ? `${thousands(run.rowsUnreadable)} unreadable (see unreadable_rows)` : "",
    run.rowsUnlisted > 0 ? `${thousands(run.rowsUnlisted)} counted by the API but not listed` : "",
    run.idsUnconfirmed > 0 ? `${thousands(run.idsUnconfirmed)} missing but unconfirmed, kept` : ""
  ].filter((note) => note !== "").map((note) => `; ${note}`).join("")

/** The run's summary on stdout: one line, or its `sync_runs` row as a JSON object. */
export const printRun = (run: Run, json: boolean) => Console.log(json ? JSON.stringify(run) : summaryLine(run))
