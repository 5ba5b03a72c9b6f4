import { fileURLToPath } from "node:url"

/** What one run measures: `--quick` for smaller inventories, `--only NAME` for one scenario (and those it builds on). */
export const scenarioNames = [
  "full",
  "latency",
  "scale",
  "client",
  "startup",
  "peer",
  "team",
  "rate-limit",
  "page-size",
  "cache",
  "query"
] as const
export type ScenarioName = (typeof scenarioNames)[number]

const args = process.argv.slice(2)
const onlyIndex = args.indexOf("--only")
const onlyName = onlyIndex === -1 ? undefined : args[onlyIndex + 1]
if (onlyIndex !== -1 && !scenarioNames.some((name) => name === onlyName)) {
  throw new Error(`--only expects one of ${scenarioNames.join(", ")}, got ${onlyName ?? "nothing"}`)
}

export const quick = args.includes("--quick")
export const only = onlyName as ScenarioName | undefined

export const root = fileURLToPath(new URL("../../", import.meta.url))
/** The bench's own scripts (floor, client, peer, maxrss), beside `src/`. */
export const tools = fileURLToPath(new URL("../", import.meta.url))
export const cli = `${root}apps/sync/dist/bin.js`
export const mockBin = `${root}packages/mock/dist/bin.js`
export const secret = "sk_test_mock_0000000000000000"

export const RUNS = 3
export const STARTUP_RUNS = 10
export const LATENCY_MS = 50
export const concurrencies = [1, 4, 8, 16]
export const sizes = quick
  ? { full: 10_000, latency: 4_000, scale: 100_000, peer: 2_000, client: 10_000, cache: 10_000, query: 10_000 }
  : { full: 100_000, latency: 20_000, scale: 1_000_000, peer: 10_000, client: 100_000, cache: 100_000, query: 100_000 }
/** The real service's fixed-window limiter with a short window: about five windows of requests in either mode. */
export const LIMITER = { limit: quick ? 10 : 50, windowMs: 1000 }
