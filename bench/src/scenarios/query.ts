import { createClient } from "@libsql/client"
import { mib, medianOf, number, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, hasCommand, measure, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { cli, sizes } from "../Settings.js"
import { sync } from "../Sync.js"

const selectAll = "select * from connections"
const MAX_RATIO = 2
const MAX_RSS_MIB = 150
const READ_GOAL_MS = 500

/** Each format, and the sqlite3 shell's mode it is compared with. */
const formats = [["json", "-json"], ["ndjson", "-json"], ["csv", "-csv"]] as const

/** `file`'s connections multiplied by `times` in SQL, each copy's ids suffixed: a sync of that size would take minutes. */
const multiply = async (file: string, times: number) => {
  const db = createClient({ url: `file:${file}` })
  const columns = (await db.execute("select name from pragma_table_info('connections')")).rows.map((row) => String(row.name))
  const copied = columns.map((column) => (column === "id" ? "c.id || '-' || k.n" : `c.${column}`)).join(", ")
  await db.execute(`insert into connections (${columns.join(", ")})
    with recursive k(n) as (select 1 union all select n + 1 from k where n < ${times - 1})
    select ${copied} from connections c, k`)
  db.close()
}

/** Issue 29: `query` exporting every row in each format beside the sqlite3 shell on the same file, and the read commands. */
export const query = async (report: Report) => {
  if (!hasCommand("sqlite3")) {
    report.goal(`Query beside the sqlite3 shell: not measured (no \`sqlite3\` on this machine), ${verdict(false)}`)
    return
  }
  const database = freshDatabase()
  const mock = await Mock.start(sizes.query)
  await sync(mock, database.url)
  await Mock.stop(mock)
  const rows = (file: string) => measure("sqlite3", [file, "select count(*) from connections"]).then((r) => Number(r.stdout.trim()))
  const count = await rows(database.file)

  const shell: Record<string, number> = {}
  for (const mode of ["-json", "-csv"]) {
    const runs = await repeat(`sqlite3 ${mode}, ${number.format(count)}`, () => measure("sqlite3", [mode, database.file, selectAll], {}, { discard: true }))
    shell[mode] = medianOf(runs, (r) => r.ms)
  }
  const exportOf = (file: string, format: string) =>
    measure(process.execPath, [cli, "query", selectAll, "--db", file, "--format", format], {}, { discard: true })
  for (const [format, mode] of formats) {
    const runs = await repeat(`picasync query --format ${format}, ${number.format(count)}`, () => exportOf(database.file, format))
    const ms = medianOf(runs, (r) => r.ms)
    const rss = medianOf(runs, (r) => r.maxRssKiB)
    const reference = shell[mode] ?? Number.NaN
    report.row(
      `10. \`${selectAll}\`, ${number.format(count)} rows, \`--format ${format}\``,
      `${seconds(ms)} · peak RSS ${mib(rss)} · ${number.format(runs[0]?.bytes ?? 0)} bytes`,
      `\`sqlite3 ${mode}\` on the same file: ${seconds(reference)}`,
      ratio(ms / reference)
    )
    report.goal(
      `\`query --format ${format}\` within ${MAX_RATIO}x of \`sqlite3 ${mode}\`, peak RSS under ${MAX_RSS_MIB} MiB: ${ratio(ms / reference)}, ${
        mib(rss)
      }, ${verdict(ms / reference <= MAX_RATIO && rss / 1024 < MAX_RSS_MIB)}`
    )
  }

  // The mock's inventory has failing connections: `check` allows them all, so it passes and exits 0.
  for (const command of [["status"], ["check", "--max-failing", String(count)], ["report"]] as const) {
    const runs = await repeat(`picasync ${command[0]}, ${number.format(count)}`, () =>
      measure(process.execPath, [cli, ...command, "--db", database.file], {}, { discard: true }))
    const ms = medianOf(runs, (r) => r.ms)
    report.row(`11. \`picasync ${command.join(" ")}\`, ${number.format(count)} connections (whole process)`, seconds(ms), "—", "—")
    report.goal(`\`picasync ${command[0]}\` on ${number.format(count)} connections under ${READ_GOAL_MS} ms: ${seconds(ms)}, ${verdict(ms < READ_GOAL_MS)}`)
  }

  await multiply(database.file, sizes.scale / sizes.query)
  const scaled = await rows(database.file)
  for (const [format] of formats) {
    const run = await exportOf(database.file, format)
    const rss = run.maxRssKiB ?? Number.NaN
    report.row(
      `10. \`${selectAll}\`, ${number.format(scaled)} rows, \`--format ${format}\` (one run)`,
      `${seconds(run.ms)} · peak RSS ${mib(rss)} · ${number.format(run.bytes)} bytes`,
      "—",
      "—"
    )
    report.goal(`\`query --format ${format}\` peak RSS under ${MAX_RSS_MIB} MiB at ${number.format(scaled)} rows: ${mib(rss)}, ${verdict(rss / 1024 < MAX_RSS_MIB)}`)
  }
  removeDatabase(database.file)
}
