import { medianOf, number, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import { freshDatabase, removeDatabase } from "../Processes.js"
import type { Report } from "../Report.js"
import { LIMITER, RUNS, sizes } from "../Settings.js"
import { summary, sync } from "../Sync.js"

/** One API request in the mock's log (`GET /__admin/requests`); `window` numbers the limiter's windows from 1. */
interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly status: number
  /** ISO 8601, when the request reached the mock. */
  readonly time: string
  readonly window?: number
}

/** The listing requests one run made, as the mock logged them: how many, how many were answered 429, the most 429s in one window. */
const listingRequests = async (mock: Mock.Mock) => {
  const log = (await Mock.admin(mock, "GET", "requests")) as ReadonlyArray<LoggedRequest>
  const listings = log.filter((r) => r.method === "GET" && r.path === "/v1/vault/connections")
  const limited = listings.filter((r) => r.status === 429)
  const perWindow = new Map<number | undefined, number>()
  for (const r of limited) perWindow.set(r.window, (perWindow.get(r.window) ?? 0) + 1)
  const times = listings.map((r) => Date.parse(r.time))
  return {
    requests: listings.length,
    limited: limited.length,
    worstWindow: Math.max(0, ...perWindow.values()),
    windows: Math.max(0, ...listings.map((r) => r.window ?? 0)),
    /** From the first listing request to the last, as the mock received them. */
    spanMs: Math.max(...times) - Math.min(...times)
  }
}

/**
 * The shortest span the requests can take: they need ceil(answered / limit) windows, and the last of
 * them starts no sooner than that many windows less one after the first request.
 */
const windowsFloor = (answered: number) => (Math.ceil(answered / LIMITER.limit) - 1) * LIMITER.windowMs

/** Scenario 9: the real service's limiter with a short window, beside the fewest windows the requests need. */
export const rateLimitBound = async (report: Report) => {
  const mock = await Mock.start(sizes.latency, [], LIMITER)
  const window = seconds(LIMITER.windowMs)
  const runs = await repeat(`rate-limit-bound ${number.format(sizes.latency)}, ${LIMITER.limit} a ${window} window`, async () => {
    // Every run starts its own windows, numbered from 1, and its own request log.
    await Mock.admin(mock, "PUT", "limiter", LIMITER)
    await Mock.admin(mock, "DELETE", "requests")
    const db = freshDatabase()
    const measured = await sync(mock, db.url, 8)
    removeDatabase(db.file)
    const requests = await listingRequests(mock)
    return { measured, summary: summary(measured.stdout), ...requests }
  })
  await Mock.stop(mock)
  const ms = medianOf(runs, (r) => r.measured.ms)
  const runMs = medianOf(runs, (r) => r.summary.runMs)
  const spanMs = medianOf(runs, (r) => r.spanMs)
  const answered = medianOf(runs, (r) => r.requests - r.limited)
  const floorMs = windowsFloor(answered)
  const limited = Math.max(...runs.map((r) => r.limited))
  const worstWindow = Math.max(...runs.map((r) => r.worstWindow))
  report.row(
    `9. rate-limit-bound: ${number.format(sizes.latency)} connections, limiter ${LIMITER.limit} a ${window} window, concurrency 8`,
    `first to last request ${seconds(spanMs)} (the run itself: ${seconds(runMs)}, whole process: ${seconds(ms)}) · ` +
      `${number.format(medianOf(runs, (r) => r.requests))} listing requests in ${medianOf(runs, (r) => r.windows)} windows · ` +
      `at most ${limited} answered 429 in a run, ${worstWindow} in one window`,
    `(ceil(${number.format(answered)} answered requests / ${LIMITER.limit}) - 1) x ${window} = ${seconds(floorMs)}: ` +
      `the start of the last window the requests need`,
    `${ratio(spanMs / floorMs)} (run: ${ratio(runMs / floorMs)})`
  )
  report.goal(
    `Rate-limit-bound within 1.1x of the fewest windows the requests need, no failed run, at most one 429 per window: ` +
      `${ratio(spanMs / floorMs)} from the first request to the last as the mock received them (the run as \`sync_runs\` times it, ` +
      `apply included: ${ratio(runMs / floorMs)}), all ${RUNS + 1} runs succeeded (a failed run stops the bench), at most ` +
      `${worstWindow} 429 in one window (the mock's request log), ${verdict(spanMs / floorMs <= 1.1 && worstWindow <= 1)}`
  )
}
