import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Cli from "../src/Cli.js"

const parse = (...argv: Array<string>) => Either.getOrThrow(Cli.parse(argv))
const error = (...argv: Array<string>) => Either.match(Cli.parse(argv), { onLeft: (message) => message, onRight: () => "" })

describe("Cli", () => {
  it("parses every flag into options, ignoring pnpm's leading --", () => {
    const command = parse(
      "--",
      "--port", "4010", "--count", "5000", "--seed", "7", "--host", "0.0.0.0",
      "--secret", "sk_live_x", "--auth-header", "x-one-secret", "--limit-cap", "50", "--legacy-envelope",
      "--latency", "20..80", "--fail-rate", "0.1", "--fail-every", "9", "--fail-status", "503,502",
      "--rate-limit", "50/10", "--no-retry-after", "--cut-rate", "0.01", "--html-every", "40",
      "--truncate-rate", "0.05", "--truncate-page", "3", "--drift", "after=2,insert=3,delete=2,update=1",
      "--no-nulls", "--hidden-share", "0.01", "--limiter", "50/500ms", "--limiter-retry-after",
      "--rate-limit-prefix", "X-One-", "--no-tie-shuffle", "--legacy-shape", "--no-get-by-id", "--patch-empty"
    )
    assert.isFalse(command.help)
    assert.deepStrictEqual(command.options, {
      port: 4010,
      host: "0.0.0.0",
      count: 5000,
      seed: 7,
      secret: "sk_live_x",
      authHeader: "x-one-secret",
      limitCap: 50,
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
  })

  it("defaults to port 4010 and 1000 connections, no faults", () => {
    assert.deepStrictEqual(parse().options, { port: 4010, count: 1000, faults: {} })
    assert.strictEqual(parse("--latency", "50").options.faults?.latency, 50)
    assert.isTrue(parse("--help").help)
  })

  it("the limiter: a window in ms, s or m, off with --no-limiter, Retry-After on the default one", () => {
    assert.deepStrictEqual(parse("--limiter", "500/60s").options.limiter, { limit: 500, windowMs: 60_000 })
    assert.deepStrictEqual(parse("--limiter", "2/1.1s").options.limiter, { limit: 2, windowMs: 1100 })
    assert.deepStrictEqual(parse("--limiter", "9/2m").options.limiter, { limit: 9, windowMs: 120_000 })
    assert.isNull(parse("--no-limiter").options.limiter)
    assert.deepStrictEqual(parse("--limiter-retry-after").options.limiter, { limit: 500, windowMs: 60_000, retryAfter: true })
  })

  it("names the flag of a malformed value", () => {
    for (const [flag, value] of [
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
      ["--rate-limit-prefix", "x one"]
    ] as const) {
      assert.include(error(flag, value), flag, `${flag} ${value}`)
    }
    assert.include(error("--no-limiter", "--limiter", "5/1s"), "--no-limiter")
    assert.include(error("--no-limiter", "--limiter-retry-after"), "--no-limiter")
    assert.include(error("--bogus"), "--bogus")
    assert.include(error("--port"), "--port")
  })

  it("the bin exits 2 on a malformed flag, naming it, and --help lists every real-service flag", async () => {
    const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
    const run = (...argv: Array<string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ["--import", "tsx", bin, ...argv], (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, stdout, stderr }))
      })
    const malformed = await run("--limiter", "500")
    assert.strictEqual(malformed.code, 2)
    assert.include(malformed.stderr, "--limiter")
    const help = await run("--help")
    assert.strictEqual(help.code, 0)
    for (const flag of ["--no-nulls", "--hidden-share", "--limiter ", "--no-limiter", "--limiter-retry-after", "--rate-limit-prefix", "--no-tie-shuffle", "--legacy-shape", "--no-get-by-id", "--patch-empty"]) {
      assert.include(help.stdout, flag)
    }
  }, 30_000)
})
