import type { Mock } from "./Mock.js"
import { measure } from "./Processes.js"
import { cli, secret } from "./Settings.js"

/** The environment that points a process at the mock. */
export const apiEnv = (mock: Mock) => ({ PICA_BASE_URL: mock.url, PICA_SECRET_KEY: secret })

/** `picasync sync` as a user runs it after `pnpm build`: `node apps/sync/dist/bin.js`, plain Node; `adaptive`: no `--page-size`. */
export const sync = (mock: Mock, url: string, concurrency = 4, pageSize: number | "adaptive" = 100) =>
  measure(
    process.execPath,
    [cli, "sync", "--db", url, "--concurrency", String(concurrency), ...(pageSize === "adaptive" ? [] : ["--page-size", String(pageSize)])],
    apiEnv(mock)
  )

/**
 * `run 1 (test) succeeded in 5s 12ms: 100,000 rows over 1,001 pages of 100; …` → its numbers. The duration leaves
 * out its zero parts (`5s`, `1m 12ms`), so every part is optional; so are the page size and the tie re-reads.
 */
export const summary = (stdout: string) => {
  const line = stdout.trim().split("\n").at(-1) ?? ""
  const match =
    /succeeded in (?:(\d+)h ?)?(?:(\d+)m ?)?(?:(\d+)s ?)?(?:(\d+)ms)?: ([\d,]+) rows over ([\d,]+) pages(?: of ([\d,]+))?(?: \([^)]*\))?; ([\d,]+) inserted, ([\d,]+) updated, ([\d,]+) unchanged/
      .exec(line)
  if (match === null) throw new Error(`unexpected sync output: ${line}`)
  const n = (i: number) => Number((match[i] ?? "0").replaceAll(",", ""))
  return {
    runMs: n(1) * 3_600_000 + n(2) * 60_000 + n(3) * 1000 + n(4),
    rows: n(5),
    pages: n(6),
    pageSize: n(7),
    inserted: n(8),
    updated: n(9),
    unchanged: n(10)
  }
}
