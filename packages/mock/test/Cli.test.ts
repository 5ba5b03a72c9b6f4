import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
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
      "--truncate-rate", "0.05", "--truncate-page", "3", "--drift", "after=2,insert=3,delete=2,update=1"
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
      ["--drift", "insert=3"]
    ] as const) {
      assert.include(error(flag, value), flag, `${flag} ${value}`)
    }
    assert.include(error("--bogus"), "--bogus")
    assert.include(error("--port"), "--port")
  })
})
