import * as HelpDoc from "@effect/cli/HelpDoc"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Cli from "../src/Cli.js"
import type * as MockPica from "../src/MockPica.js"

const commandLine = (argv: ReadonlyArray<string>) => ["node", "picasync-mock", ...argv]

/** The options the server would start with; undefined when it would not start (`--help`). */
const parse = (...argv: Array<string>) =>
  Effect.gen(function*() {
    let parsed: MockPica.MockPicaOptions | undefined
    yield* Cli.run((options) => Effect.sync(() => (parsed = options)))(commandLine(argv))
    return parsed
  }).pipe(Effect.provide(NodeContext.layer))

/** What the CLI says of a malformed command line. */
const error = (...argv: Array<string>) =>
  Cli.run(() => Effect.void)(commandLine(argv)).pipe(
    Effect.flip,
    Effect.map((failure) => HelpDoc.toAnsiText(failure.error)),
    Effect.provide(NodeContext.layer)
  )

describe("Cli", () => {
  it.effect("parses every flag into options, ignoring pnpm's leading --", () =>
    Effect.gen(function*() {
      const options = yield* parse(
        "--",
        "--port", "4010", "--count", "5000", "--seed", "7", "--host", "0.0.0.0",
        "--secret", "sk_live_x", "--auth-header", "x-one-secret", "--limit-cap", "50", "--over-cap", "skew",
        "--legacy-envelope", "--latency", "20..80", "--fail-rate", "0.1", "--fail-every", "9", "--fail-status", "503,502",
        "--rate-limit", "50/10", "--no-retry-after", "--cut-rate", "0.01", "--html-every", "40",
        "--truncate-rate", "0.05", "--truncate-page", "3", "--drift", "after=2,insert=3,delete=2,update=1",
        "--no-nulls", "--hidden-share", "0.01", "--limiter", "50/500ms", "--limiter-retry-after",
        "--rate-limit-prefix", "X-One-", "--no-tie-shuffle", "--legacy-shape", "--no-get-by-id", "--patch-empty"
      )
      assert.deepStrictEqual(options, {
        port: 4010,
        host: "0.0.0.0",
        count: 5000,
        seed: 7,
        secret: "sk_live_x",
        authHeader: "x-one-secret",
        limitCap: 50,
        overCap: "skew",
        legacyEnvelope: true,
        nulls: false,
        hiddenShare: 0.01,
        limiter: { limit: 50, windowMs: 500, retryAfter: true },
        rateLimitHeaderPrefix: "x-one-",
        shuffleTies: false,
        legacyShape: true,
        getById: false,
        patchAnswer: "empty",
        faults: {
          latency: { min: 20, max: 80 },
          errors: { rate: 0.1, every: 9, statuses: [503, 502] },
          rateLimit: { capacity: 50, refillPerSecond: 10, retryAfter: false },
          cut: { rate: 0.01 },
          html: { every: 40 },
          truncate: { rate: 0.05, page: 3 },
          drift: { afterPage: 2, insert: 3, delete: 2, update: 1 }
        }
      })
    }))

  it.effect("defaults to port 4010 and 1000 connections, no faults; --help starts no server", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* parse(), { port: 4010, count: 1000, faults: {} })
      assert.strictEqual((yield* parse("--latency", "50"))?.faults?.latency, 50)
      assert.isUndefined(yield* parse("--help"))
    }))

  it.effect("the limiter: a window in ms, s or m, off with --no-limiter, Retry-After on the default one", () =>
    Effect.gen(function*() {
      const limiter = (...argv: Array<string>) => Effect.map(parse(...argv), (options) => options?.limiter)
      assert.deepStrictEqual(yield* limiter("--limiter", "500/60s"), { limit: 500, windowMs: 60_000 })
      assert.deepStrictEqual(yield* limiter("--limiter", "2/1.1s"), { limit: 2, windowMs: 1100 })
      assert.deepStrictEqual(yield* limiter("--limiter", "9/2m"), { limit: 9, windowMs: 120_000 })
      assert.isNull(yield* limiter("--no-limiter"))
      assert.deepStrictEqual(yield* limiter("--limiter-retry-after"), { limit: 500, windowMs: 60_000, retryAfter: true })
    }))

  it.effect("the page cap: a number or none, and what a larger limit gets", () =>
    Effect.gen(function*() {
      assert.include(yield* parse("--limit-cap", "none", "--over-cap", "refuse"), { limitCap: null, overCap: "refuse" })
      assert.include(yield* parse("--limit-cap", "1000", "--over-cap", "clamp"), { limitCap: 1000, overCap: "clamp" })
    }))

  it.effect("names the flag of a malformed value", () =>
    Effect.gen(function*() {
      for (
        const [flag, value] of [
          ["--port", "abc"],
          ["--port", "70000"],
          ["--count", "-1"],
          ["--latency", "80..20"],
          ["--fail-rate", "1.5"],
          ["--fail-status", "500,418"],
          ["--rate-limit", "50"],
          ["--cut-every", "0"],
          ["--drift", "insert=3"],
          ["--hidden-share", "2"],
          ["--limiter", "500"],
          ["--limiter", "0/60s"],
          ["--limiter", "5/0ms"],
          ["--limiter", "5/0.5ms"],
          ["--limiter", "5/60h"],
          ["--rate-limit-prefix", "x one"],
          ["--limit-cap", "0"],
          ["--over-cap", "truncate"]
        ] as const
      ) {
        assert.include(yield* error(flag, value), flag, `${flag} ${value}`)
      }
      assert.include(yield* error("--no-limiter", "--limiter", "5/1s"), "--no-limiter")
      assert.include(yield* error("--no-limiter", "--limiter-retry-after"), "--no-limiter")
      assert.include(yield* error("--bogus"), "--bogus")
      assert.include(yield* error("--port"), "--port")
    }))

  it("the bin exits 2 on a malformed flag, naming it, and --help explains every flag", async () => {
    const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
    const run = (...argv: Array<string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ["--import", "tsx", bin, ...argv], (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, stdout, stderr }))
      })
    const [malformed, help] = await Promise.all([run("--limiter", "500"), run("--help")])
    assert.strictEqual(malformed.code, 2)
    assert.include(malformed.stderr, "--limiter")
    assert.strictEqual(help.code, 0)
    // Each flag heads a paragraph of its own, followed by what it does.
    const explained = [...help.stdout.replace(/\u001b\[[0-9;]*m/g, "").matchAll(/^(--[a-z-]+)[^\n]*\n\n {2}\S/gm)]
      .map(([, flag]) => flag)
    assert.sameMembers(explained, [
      "--port", "--host", "--count", "--seed", "--secret", "--auth-header", "--limit-cap", "--over-cap",
      "--legacy-envelope", "--no-nulls", "--hidden-share", "--limiter", "--no-limiter", "--limiter-retry-after", "--rate-limit-prefix",
      "--no-tie-shuffle", "--legacy-shape", "--no-get-by-id", "--patch-empty", "--latency", "--fail-rate", "--fail-every",
      "--fail-status", "--rate-limit", "--no-retry-after", "--cut-rate", "--cut-every", "--html-rate", "--html-every",
      "--truncate-rate", "--truncate-every", "--truncate-page", "--drift",
      // The CLI library's own.
      "--completions", "--log-level", "--wizard", "--version"
    ])
  }, 30_000)
})
