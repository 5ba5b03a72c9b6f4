import { createClient } from "@libsql/client"
import * as path from "node:path"
import { medianOf, mib, number, rate, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, measure, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { sizes, tools } from "../Settings.js"
import { apiEnv, summary, sync } from "../Sync.js"

/** Writes on the mirror's own tables, counted by SQLite itself: triggers add one per row written. */
const installWriteCounters = async (url: string) => {
  const db = createClient({ url })
  const statements = ["CREATE TABLE bench_writes (tbl TEXT, op TEXT, n INTEGER, PRIMARY KEY (tbl, op))"]
  for (const table of ["connections", "connection_tags", "connection_changes"]) {
    for (const op of ["INSERT", "UPDATE", "DELETE"]) {
      statements.push(`INSERT INTO bench_writes VALUES ('${table}', '${op}', 0)`)
      statements.push(`CREATE TRIGGER bench_${table}_${op.toLowerCase()} AFTER ${op} ON ${table}
        BEGIN UPDATE bench_writes SET n = n + 1 WHERE tbl = '${table}' AND op = '${op}'; END`)
    }
  }
  await db.batch(statements, "write")
  db.close()
}

const writesCounted = async (url: string) => {
  const db = createClient({ url })
  const result = await db.execute("SELECT tbl, op, n FROM bench_writes WHERE n > 0")
  const total = await db.execute("SELECT coalesce(sum(n), 0) AS n FROM bench_writes")
  db.close()
  return { total: Number(total.rows[0]?.n ?? 0), detail: result.rows.map((r) => `${r.tbl} ${r.op} ${r.n}`).join(", ") }
}

/** What the other scenarios compare with: the full sync, its floor, and its peak RSS. */
export interface FullSync {
  readonly fullMs: number
  readonly floorMs: number
  readonly againMs: number
  readonly fullRss: number
}

/** Scenarios 1 and 2: a full sync beside a hand-written floor, then an unchanged re-sync that must write nothing. */
export const fullAndNoChange = async (report: Report): Promise<FullSync> => {
  // Ties in one order: otherwise the full sync can miss a row the re-sync then finds, and that is no unchanged re-sync.
  const mock = await Mock.start(sizes.full, ["--no-tie-shuffle"])
  const runs = await repeat(`full sync and no-change re-sync, ${number.format(sizes.full)}`, async () => {
    const floorDb = freshDatabase()
    const floor = await measure(process.execPath, [path.join(tools, "floor.mjs"), floorDb.file], apiEnv(mock))
    removeDatabase(floorDb.file)
    const db = freshDatabase()
    const full = await sync(mock, db.url)
    await installWriteCounters(db.url)
    const again = await sync(mock, db.url)
    const writes = await writesCounted(db.url)
    removeDatabase(db.file)
    return { floor, full, fullSummary: summary(full.stdout), again, againSummary: summary(again.stdout), writes }
  })
  await Mock.stop(mock)
  const floorMs = medianOf(runs, (r) => r.floor.ms)
  const fullMs = medianOf(runs, (r) => r.full.ms)
  const againMs = medianOf(runs, (r) => r.again.ms)
  const fullRss = medianOf(runs, (r) => r.full.maxRssKiB)
  const n = sizes.full
  report.row(
    `1. full sync, ${number.format(n)} connections (page 100, concurrency 4, fresh file)`,
    `${seconds(fullMs)} · ${rate(n, fullMs)} · peak RSS ${mib(fullRss)}`,
    `floor: ${seconds(floorMs)} · ${rate(n, floorMs)} · peak RSS ${mib(medianOf(runs, (r) => r.floor.maxRssKiB))}`,
    ratio(fullMs / floorMs)
  )
  report.goal(`Full sync within 1.1x of the floor: ${ratio(fullMs / floorMs)}, ${verdict(fullMs / floorMs <= 1.1)}`)
  const rewritten = Math.max(...runs.map((r) => r.writes.total))
  report.row(
    `2. no-change re-sync of the same ${number.format(n)}`,
    `${seconds(againMs)} · ${number.format(medianOf(runs, (r) => r.againSummary.unchanged))} unchanged · ${rewritten} rows written (SQLite triggers)`,
    `the full sync above: ${seconds(fullMs)}`,
    ratio(againMs / fullMs)
  )
  report.goal(
    `No-change re-sync at most 0.55x the full sync, zero rows rewritten: ${ratio(againMs / fullMs)}, ${rewritten} rows of ` +
      `connections, connection_tags and connection_changes written (counted by triggers inside SQLite), ${
        verdict(againMs / fullMs <= 0.55 && rewritten === 0)
      }`
  )
  if (rewritten > 0) report.note(`Rows written by a no-change re-sync: ${runs.map((r) => r.writes.detail).join("; ")}`)
  return { fullMs, floorMs, againMs, fullRss }
}
