import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { escapeHtml, render } from "../../src/ReportHtml.js"
import type { Report } from "../../src/Report.js"
import { runCli } from "../cliInProcess.js"
import { rows, sqlClient, sync, tempDir } from "../harness.js"
import { fixtureMirror, older } from "../query/fixture.js"
import { chromiumPath, hasChromium, launch, openOffline } from "./reportBrowser.js"

const dbPath = (url: string) => url.slice("file:".length)
const xss = "<img src=x onerror=alert(1)>"
const scriptError = "<script>alert(2)</script> & \"quoted\" 'single'"

/** The fixture's mirror, plus a third sync that renames a connection to an XSS payload, and a failed run whose error is one. */
const hostileMirror = Effect.gen(function*() {
  const { mock, url } = yield* fixtureMirror
  yield* Effect.orDie(mock.update(older!, { name: xss, state: "degraded" }))
  yield* sync({ mock, url })
  yield* Effect.scoped(Effect.flatMap(sqlClient(url), (client) =>
    Effect.promise(() =>
      client.execute({
        sql: `INSERT INTO sync_runs (source, started_at, finished_at, status, error) VALUES ('test', ?, ?, 'failed', ?)`,
        args: [new Date(Date.now() - 5000).toISOString(), new Date().toISOString(), scriptError]
      })
    )))
  return { mock, url }
})

const runReport = (url: string, extra: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const out = join(yield* tempDir, "report.html")
    const cli = yield* runCli(["report", "--db", dbPath(url), "--out", out, ...extra])
    assert.strictEqual(cli.exitCode, 0, cli.stderr)
    assert.strictEqual(cli.stdout, `report written to ${out}\n`)
    assert.strictEqual(cli.stderr, "")
    return { out, html: readFileSync(out, "utf8") }
  })

describe("ReportHtml", () => {
  it("escapeHtml escapes text and attribute metacharacters", () => {
    assert.strictEqual(escapeHtml(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
    assert.strictEqual(escapeHtml(null), "")
  })

  it("no value from the mirror reaches the page unescaped, whatever field it is in", () => {
    const evil = `"><img src=x onerror=alert(1)><svg onload=alert(2)>'`
    const report: Report = {
      generatedAt: "2026-01-01T00:00:00.000Z",
      source: null,
      sources: [evil],
      days: 2,
      since: "2025-12-30T00:00:00.000Z",
      live: { total: 1, active: 1, inactive: 0, deleted: 0 },
      byPlatform: [{ value: evil, connections: 1 }],
      byEnvironment: [{ value: evil, connections: 1 }],
      byState: [{ value: evil, connections: 1 }],
      unhealthy: {
        total: 1,
        byState: [{ value: evil, connections: 1 }],
        connections: [{
          source: evil,
          id: evil,
          platform: evil,
          environment: evil,
          state: evil,
          active: true,
          name: evil,
          stateSince: evil,
          daysInState: 1
        }]
      },
      stateChanges: { total: 1, perDay: [{ day: evil, worse: 1, better: 0 }] },
      inventoryOverTime: [{ day: evil, live: 1, failed: 0, degraded: null }],
      runs: {
        total: 1,
        failed: 1,
        recent: [{
          id: 1,
          source: evil,
          status: "failed",
          startedAt: evil,
          finishedAt: null,
          rowsFetched: 0,
          inserted: 0,
          updated: 0,
          unchanged: 0,
          deleted: 0,
          restored: 0,
          driftDetected: false,
          rowsUnreadable: 0,
          rowsUnlisted: 0,
          idsUnconfirmed: 0,
          error: evil
        }]
      },
      changes: {
        total: 1,
        byKind: [{ value: evil, connections: 1 }],
        recent: [{
          observedAt: evil,
          runId: 1,
          source: evil,
          kind: evil,
          connectionId: evil,
          platform: evil,
          name: evil,
          changedFields: { [evil]: { old: evil, new: evil } }
        }]
      }
    }
    const html = render(report)
    assert.notInclude(html, "<img")
    assert.notInclude(html, "<svg onload")
    assert.include(html, "&quot;&gt;&lt;img")
    assert.include(html, "&lt;img src=x onerror=alert(1)&gt;")
  })
})

describe("picasync report (CLI)", () => {
  it.scopedLive("usage errors exit 2; a missing mirror exits 1 and is never created; --help names every flag", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const absent = join(dir, "absent.db")
      const out = join(dir, "r.html")
      const missing = yield* runCli(["report", "--db", absent, "--out", out])
      assert.strictEqual(missing.exitCode, 1)
      assert.include(missing.stderr, `no database at ${absent}`)
      assert.isFalse(existsSync(absent))
      assert.isFalse(existsSync(out))
      const days = yield* runCli(["report", "--db", absent, "--days", "0"])
      assert.strictEqual(days.exitCode, 2)
      assert.include(days.stderr, "--days")
      const help = yield* runCli(["report", "--help"])
      assert.strictEqual(help.exitCode, 0)
      for (const flag of ["--db", "--db-auth-token", "--source", "--days", "--out"]) assert.include(help.stdout, flag)
    }), { timeout: 90_000 })

  it.scopedLive("--source limits the report to one source", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const { html } = yield* runReport(url, ["--source", "nope", "--days", "7"])
      assert.include(html, `data-testid="live-total">0<`)
      assert.include(html, `data-testid="runs-total">0<`)
      const all = yield* runReport(url, ["--source", "test"])
      assert.include(all.html, `data-testid="live-total">5<`)
    }), { timeout: 90_000 })
})

const browserSuite = "picasync report in a real browser" +
  (hasChromium() ? "" : ` (skipped: ${chromiumPath} is missing; install it as root: apt-get install -y chromium)`)

if (!hasChromium() && process.env.CI === "true") {
  describe("picasync report in a real browser", () => {
    it("needs Chromium under CI", () => {
      assert.fail(`${chromiumPath} is missing; .ci/run installs it (apt-get install -y chromium)`)
    })
  })
}

describe.skipIf(!hasChromium())(browserSuite, () => {
  it.scopedLive("opens offline: no request, no console error, no dialog; escaped names; numbers equal picasync query's", () =>
    Effect.gen(function*() {
      const { url } = yield* hostileMirror
      const { html, out } = yield* runReport(url)
      assert.notInclude(html, "<img")
      assert.include(html, escapeHtml(xss))
      assert.notInclude(html, "<script")
      assert.notMatch(html, /https?:\/\//, "the page names no URL to load")

      // The questions, asked through `picasync query` on the same mirror.
      const question = `SELECT 'live' AS k, count(*) AS n FROM live_connections
        UNION ALL SELECT 'failed', count(*) FROM live_connections WHERE state = 'failed'
        UNION ALL SELECT 'unhealthy', count(*) FROM unhealthy_connections
        UNION ALL SELECT 'platform:' || coalesce(platform, 'none'), count(*) FROM live_connections GROUP BY platform`
      const query = yield* runCli(["query", question, "--db", dbPath(url), "--format", "json"])
      assert.strictEqual(query.exitCode, 0, query.stderr)
      const answers = new Map((JSON.parse(query.stdout) as Array<{ k: string; n: number }>).map((row) => [row.k, row.n]))
      const platforms = [...answers.keys()].filter((k) => k.startsWith("platform:")).map((k) => k.slice("platform:".length))
      assert.deepStrictEqual(platforms.sort(), ["gmail", "linear", "slack", "stripe"])
      assert.strictEqual(answers.get("failed"), 2)
      const runs = yield* rows<{ n: number; failed: number }>(
        url,
        "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'failed') AS failed FROM sync_runs"
      )

      const shot = join(yield* tempDir, "report.png")
      const seen = yield* Effect.acquireUseRelease(
        Effect.promise(() => launch()),
        (browser) =>
          Effect.promise(async () => {
            const { page, seen } = await openOffline(browser, out)
            const numberOf = async (testId: string) => {
              const text = await page.getByTestId(testId).textContent({ timeout: 5_000 })
              return Number((text ?? "").replace(/,/g, ""))
            }
            const shown = {
              live: await numberOf("live-total"),
              failed: await numberOf("failed-total"),
              unhealthy: await numberOf("unhealthy-total"),
              runs: await numberOf("runs-total"),
              runsFailed: await numberOf("runs-failed-total"),
              platforms: Object.fromEntries(
                await Promise.all(platforms.map(async (p) => [p, await numberOf(`platform-count-${p}`)] as const))
              )
            }
            const payloadShown = await page.getByText(xss, { exact: true }).count()
            const errorShown = await page.getByText(scriptError, { exact: true }).count()
            const images = await page.locator("img").count()
            const scripts = await page.locator("script").count()
            const svgs = await page.locator("svg").count()
            await page.screenshot({ path: shot, fullPage: true })
            return { seen, shown, payloadShown, errorShown, images, scripts, svgs }
          }),
        (browser) => Effect.promise(() => browser.close())
      )

      assert.deepStrictEqual(seen.seen.requests, [], "no network request attempted")
      assert.deepStrictEqual(seen.seen.consoleErrors, [], "no console error")
      assert.deepStrictEqual(seen.seen.dialogs, [], "no dialog: the payload did not run")
      assert.strictEqual(seen.images, 0)
      assert.strictEqual(seen.scripts, 0)
      assert.isAtLeast(seen.svgs, 2, "the charts")
      assert.isAtLeast(seen.payloadShown, 1, "the payload appears as text")
      assert.strictEqual(seen.errorShown, 1, "the run's error appears as text")
      assert.deepStrictEqual(seen.shown, {
        live: answers.get("live"),
        failed: answers.get("failed"),
        unhealthy: answers.get("unhealthy"),
        runs: Number(runs[0]!.n),
        runsFailed: Number(runs[0]!.failed),
        platforms: Object.fromEntries(platforms.map((p) => [p, answers.get(`platform:${p}`)]))
      })
      assert.isAbove(readFileSync(shot).length, 10_000, "a screenshot of the page")
    }), { timeout: 90_000 })
})
