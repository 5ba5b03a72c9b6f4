import { createClient } from "@libsql/client"
import { isDeepStrictEqual } from "node:util"
import { medianOf, number, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { summary, sync } from "../Sync.js"

/** Issue 25's inventory and limiter: a cap is what bounds the requests, and the limiter what they cost. */
const COUNT = 30_000
const LIMITER = { limit: 50, windowMs: 1000 }

interface Cap {
  readonly name: string
  readonly cap: number
  readonly overCap: "clamp" | "skew"
}

const caps: ReadonlyArray<Cap> = [
  { name: "a cap of 1,000", cap: 1000, overCap: "clamp" },
  { name: "a cap of 250", cap: 250, overCap: "clamp" },
  { name: "a cap of 100", cap: 100, overCap: "clamp" },
  { name: "a skewed cap of 100 (pages and offsets by the size asked)", cap: 100, overCap: "skew" }
]

interface Row {
  readonly id: string
  readonly active: boolean
}

/** The mock's ground truth: what it lists, and the rows it counts but never lists. */
const inventory = async (mock: Mock.Mock) =>
  (await Mock.admin(mock, "GET", "inventory")) as { readonly rows: ReadonlyArray<Row>; readonly hidden: ReadonlyArray<Row> }

/** Pages of both listings at `cap`, as the server counts them (rows it never lists included). */
const pagesAtCap = (counted: ReadonlyArray<Row>, cap: number) => {
  const active = counted.filter((row) => row.active).length
  return Math.ceil(active / cap) + Math.ceil((counted.length - active) / cap)
}

/** Every live mirror row equals the row the mock lists, and no other row is live. */
const mirrorExact = async (url: string, listed: ReadonlyArray<Row>) => {
  const db = createClient({ url })
  const result = await db.execute("SELECT id, raw FROM connections WHERE deleted_at IS NULL")
  db.close()
  const mirrored = new Map(result.rows.map((row) => [String(row.id), JSON.parse(String(row.raw)) as unknown]))
  return mirrored.size === listed.length && listed.every((row) => isDeepStrictEqual(mirrored.get(row.id), row))
}

const listingRequests = async (mock: Mock.Mock) => {
  const log = (await Mock.admin(mock, "GET", "requests")) as ReadonlyArray<{ readonly method: string; readonly path: string }>
  return log.filter((r) => r.method === "GET" && r.path === "/v1/vault/connections").length
}

/**
 * Scenario 10: the adaptive page size against servers capping pages, under the limiter at 50 requests a
 * second. Ties in one order: a tie across a page boundary costs re-reads whatever the page size, and
 * these goals count the pages.
 */
export const pageSizes = async (report: Report) => {
  const mock = await Mock.start(COUNT, ["--no-tie-shuffle"], LIMITER)
  const truth = await inventory(mock)
  const counted = [...truth.rows, ...truth.hidden]
  for (const { cap, name, overCap } of caps) {
    await Mock.admin(mock, "PUT", "page-cap", { cap, overCap })
    const runs = await repeat(`page size, ${number.format(COUNT)} connections, ${name}`, async () => {
      await Mock.admin(mock, "PUT", "limiter", LIMITER)
      await Mock.admin(mock, "DELETE", "requests")
      const db = freshDatabase()
      const measured = await sync(mock, db.url, 4, "adaptive")
      const exact = await mirrorExact(db.url, truth.rows)
      removeDatabase(db.file)
      return { measured, summary: summary(measured.stdout), requests: await listingRequests(mock), exact }
    })
    const pages = pagesAtCap(counted, cap)
    const requests = Math.max(...runs.map((r) => r.requests))
    const exact = runs.every((r) => r.exact)
    const ms = medianOf(runs, (r) => r.measured.ms)
    report.row(
      `10. page size: ${number.format(COUNT)} connections, ${name}, ${LIMITER.limit} requests a second, no --page-size`,
      `${number.format(requests)} listing requests (at most, of ${runs.length} runs), pages of ${
        number.format(medianOf(runs, (r) => r.summary.pageSize))
      } · ${seconds(ms)} · mirror ${exact ? "exact" : "**not exact**"}`,
      `${number.format(pages)} pages at the cap`,
      ratio(requests / pages)
    )
    const bound = cap === 1000 ? 40 : pages + 2
    report.goal(
      `Page size against ${name}: at most ${number.format(bound)} listing requests (${
        cap === 1000 ? "issue 25" : `${number.format(pages)} pages at the cap + 2`
      }), mirror exact: ${number.format(requests)} requests, mirror ${exact ? "exact" : "not exact"}, ${
        verdict(requests <= bound && exact)
      }`
    )
  }
  await Mock.stop(mock)
}
