import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runCli } from "../cliInProcess.js"
import { tempDir } from "../harness.js"
import { acme, fixtureMirror, quoted } from "../query/fixture.js"

const dbPath = (url: string) => url.slice("file:".length)

/** The fixture mirror has two active connections in state failed (Acme and the quoted one), all of them recent. */
describe("picasync check (CLI)", () => {
  it.scopedLive("exit 0 when every check passes, 1 when one fails; text, JSON and JUnit", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const dir = yield* tempDir
      const none = join(dir, "no-linear-failures.sql")
      writeFileSync(none, "SELECT id FROM live_connections WHERE platform = 'linear' AND state = 'failed'")
      const some = join(dir, "failed-stripe.sql")
      writeFileSync(
        some,
        "-- every failed Stripe connection is a violation\nSELECT id, '<&\">' AS odd FROM live_connections WHERE platform = 'stripe' AND state = 'failed' ORDER BY id"
      )
      const db = ["--db", dbPath(url)]
      const [healthy, json, junit] = yield* Effect.all([
        runCli(["check", ...db, "--max-failing", "2", "--max-age", "6h", "--failing-for", "30d", "--assert", none]),
        runCli(["check", ...db, "--format", "json", "--source", "test"]),
        runCli(["check", ...db, "--max-failing", "5", "--assert", none, "--assert", some, "--format", "junit"])
      ], { concurrency: "unbounded" })

      assert.strictEqual(healthy.exitCode, 0, healthy.stderr)
      const lines = healthy.stdout.trimEnd().split("\n")
      assert.deepStrictEqual(lines.map((line) => line.split(":")[0]), [
        "PASS last-success-age (test)",
        "PASS last-run (test)",
        "PASS max-failing (test)",
        "PASS failing-for (test)",
        "PASS no-linear-failures",
        "ok"
      ])
      assert.match(lines[0]!, /^PASS last-success-age \(test\): last success \d+ s ago, run 2 at .+ \(max 6 h\)$/)
      assert.strictEqual(lines[2], "PASS max-failing (test): 2 active connections in state failed (at most 2 allowed)")
      assert.strictEqual(lines[4], "PASS no-linear-failures: no rows")
      assert.strictEqual(lines[5], "ok: 5 checks passed")
      assert.strictEqual(healthy.stderr, "")

      assert.strictEqual(json.exitCode, 1, json.stderr)
      assert.strictEqual(json.stderr, "picasync: 1 of 4 checks failed\n")
      const report = JSON.parse(json.stdout) as {
        ok: boolean
        checks: Array<{ name: string; source?: string; ok: boolean; detail: string }>
      }
      assert.isFalse(report.ok)
      assert.deepStrictEqual(report.checks.map((check) => [check.name, check.source, check.ok]), [
        ["last-success-age", "test", true],
        ["last-run", "test", true],
        ["max-failing", "test", false],
        ["failing-for", "test", true]
      ])
      assert.strictEqual(report.checks[2]?.detail, "2 active connections in state failed (at most 0 allowed)")

      assert.strictEqual(junit.exitCode, 1, junit.stderr)
      const xml = junit.stdout
      assert.isTrue(xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"picasync check\""))
      assert.match(xml, /<testsuites name="picasync check" tests="6" failures="1" errors="0">/)
      assert.match(xml, /<testsuite name="picasync check" tests="6" failures="1" errors="0" skipped="0">/)
      assert.strictEqual(xml.match(/<testcase name="[^"]*" classname="picasync\.check">/g)?.length, 6)
      const failures = [...xml.matchAll(/<testcase name="([^"]*)" classname="picasync\.check">\n\s*<failure message="([^"]*)"/g)]
      assert.deepStrictEqual(failures.map((match) => match[1]), ["failed-stripe"])
      // The row's `<&">` is escaped: a JSON string in an XML attribute.
      assert.strictEqual(
        failures[0]?.[2],
        `2 rows: {&quot;id&quot;:&quot;${acme}&quot;,&quot;odd&quot;:&quot;&lt;&amp;\\&quot;&gt;&quot;} ` +
          `{&quot;id&quot;:&quot;${quoted}&quot;,&quot;odd&quot;:&quot;&lt;&amp;\\&quot;&gt;&quot;}`
      )
      assert.notInclude(xml, "<&")
      // Every `<` opens or closes a tag: none comes from the data.
      assert.deepStrictEqual(xml.match(/<(?![?/a-z])/g), null)
    }), { timeout: 60_000 })

  it.scopedLive("a malformed flag or an unreadable file is exit 2, a missing database exit 1 and never created", () =>
    Effect.gen(function*() {
      const { url } = yield* fixtureMirror
      const dir = yield* tempDir
      const absent = join(dir, "absent.db")
      const [maxAge, file, missing] = yield* Effect.all([
        runCli(["check", "--db", dbPath(url), "--max-age", "soon"]),
        runCli(["check", "--db", dbPath(url), "--assert", join(dir, "nope.sql")]),
        runCli(["check", "--db", absent])
      ], { concurrency: "unbounded" })
      assert.strictEqual(maxAge.exitCode, 2)
      assert.strictEqual(maxAge.stderr, "picasync: --max-age takes an interval such as 30s, 5m, 1h or 7d; got \"soon\"\n")
      assert.strictEqual(maxAge.stdout, "")
      assert.strictEqual(file.exitCode, 2)
      assert.match(file.stderr, /^picasync: --assert .*nope\.sql cannot be read: ENOENT/)
      assert.strictEqual(missing.exitCode, 1)
      assert.include(missing.stderr, `no database at ${absent}: run picasync sync first`)
      assert.include(missing.stderr, "run picasync sync first, or point --db (PICASYNC_DB) at the mirror")
      assert.isFalse(existsSync(absent))
    }), { timeout: 60_000 })
})
