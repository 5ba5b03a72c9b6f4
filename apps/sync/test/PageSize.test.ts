import { assert, describe, it } from "@effect/vitest"
import { PicaBadRequestError, PicaServerError } from "@picasync/client"
import type { MockPica } from "@picasync/mock"
import { Effect } from "effect"
import * as PageSize from "../src/PageSize.js"
import { runCli } from "./cliInProcess.js"
import {
  apiEnv,
  countMirrorWrites,
  mirrored,
  mirrorWrites,
  rows,
  startMock,
  sync,
  tempDatabase,
  truth
} from "./harness.js"

const page = (served: number, total: number, pages: number): PageSize.FirstPage => ({ served, total, pages })

describe("PageSize.learn", () => {
  const learned = (size: number, proven = size): PageSize.Learned => ({ size, proven })

  it("a page as full as asked, or the whole listing on one page: no cap, the size asked", () => {
    assert.deepStrictEqual(PageSize.learn(1000, [page(1000, 27_000, 27), page(300, 300, 1)]), learned(1000))
    assert.deepStrictEqual(PageSize.learn(1000, [page(0, 0, 0), page(40, 40, 1)]), learned(1000))
  })

  it("pages counted by a smaller size (a clamping server): the size that counts them, at least what a page held", () => {
    assert.deepStrictEqual(PageSize.learn(1000, [page(250, 2_250, 9), page(250, 250, 1)]), learned(250))
    // It hides a row of page 1 while counting it: the pages still say 100.
    assert.deepStrictEqual(PageSize.learn(1000, [page(99, 27_000, 270), page(100, 3_000, 30)]), learned(100))
    // A listing under the cap says nothing of it.
    assert.deepStrictEqual(PageSize.learn(1000, [page(100, 2_250, 23), page(60, 60, 1)]), learned(100))
    // The pages prove a cap just under a round size: nothing to guess.
    assert.deepStrictEqual(PageSize.learn(1000, [page(245, 24_500, 100), page(245, 490, 2)]), learned(245))
    // Too few rows for the pages to tell 99 from 100, a row of page 1 hidden: the round size, to be confirmed.
    assert.deepStrictEqual(PageSize.learn(1000, [page(99, 180, 2), page(20, 20, 1)]), learned(100, 99))
  })

  it("fewer rows than asked before the listing ends, pages counted by the size asked (a skewed cap): what a page held", () => {
    assert.deepStrictEqual(PageSize.learn(1000, [page(100, 27_000, 27), page(100, 3_000, 3)]), learned(100))
    // Page 1 claims to be the last, yet holds 100 of 600 rows.
    assert.deepStrictEqual(PageSize.learn(1000, [page(100, 600, 1), page(50, 50, 1)]), learned(100))
    // The fullest page of both listings: the other hides rows.
    assert.deepStrictEqual(PageSize.learn(1000, [page(248, 27_000, 27), page(250, 3_000, 3)]), learned(250))
    // Well short of any round size: what a page held, nothing guessed.
    assert.deepStrictEqual(PageSize.learn(1000, [page(120, 27_000, 27), page(120, 3_000, 3)]), learned(120))
    assert.deepStrictEqual(PageSize.learn(1000, [page(480, 27_000, 27), page(470, 3_000, 3)]), learned(480))
  })

  it("a page short only of rows the server hides: the round size just above, to be confirmed, never above the size asked", () => {
    assert.deepStrictEqual(PageSize.learn(1000, [page(99, 27_000, 27), page(98, 3_000, 3)]), learned(100, 99))
    assert.deepStrictEqual(PageSize.learn(1000, [page(995, 27_000, 27), page(997, 3_000, 3)]), learned(1000, 997))
    assert.deepStrictEqual(PageSize.learn(1000, [page(995, 27_000, 27), page(1000, 3_000, 3)]), learned(1000))
    assert.deepStrictEqual(PageSize.learn(990, [page(985, 27_000, 28), page(983, 3_000, 4)]), learned(990, 985))
  })

  it("a 400 to a large limit falls back; one to the fallback size, or any other error, does not", () => {
    const refused = new PicaBadRequestError({ method: "GET", url: "/v1/vault/connections", status: 400, attempts: 1 })
    assert.isTrue(PageSize.refusedLimit(1000)(refused))
    assert.isFalse(PageSize.refusedLimit(PageSize.FALLBACK)(refused))
    assert.isFalse(PageSize.refusedLimit(1000)(new PicaServerError({ method: "GET", url: "/", status: 500, attempts: 3 })))
  })
})

/** 2,500 connections, none hidden (so pages are exact), ties in id order: about 2,250 active and 250 inactive. */
const COUNT = 2_500

/** The listing requests of a run, as the mock logged them: each with its `limit` and status, probes included. */
const listings = (mock: MockPica.MockPicaServer) =>
  Effect.map(mock.requests, (log) => log.filter((r) => r.method === "GET" && r.path === "/v1/vault/connections"))

/** Pages of both listings at `size` (rows counted but never listed included), and the two probes of the totals after the scan. */
const fewestRequests = (mock: MockPica.MockPicaServer, size: number) =>
  Effect.map(Effect.all([mock.inventory, mock.hidden]), ([listed, hidden]) => {
    const counted = [...listed, ...hidden]
    const active = counted.filter((row) => row.active).length
    return Math.ceil(active / size) + Math.ceil((counted.length - active) / size) + 2
  })

const synced = (mock: MockPica.MockPicaServer, url: string) =>
  Effect.gen(function*() {
    yield* mock.clearRequests
    const run = yield* sync({ mock, url, pageSize: "adaptive" })
    assert.deepStrictEqual(yield* mirrored(url), yield* truth(mock))
    return { run, requests: yield* listings(mock) }
  })

describe("the adaptive page size over HTTP", () => {
  const caps: ReadonlyArray<readonly [string, Pick<MockPica.MockPicaOptions, "limitCap" | "overCap">, number]> = [
    ["no cap", { limitCap: null }, 1000],
    ["a cap of 1,000", { limitCap: 1000 }, 1000],
    ["a cap of 250", { limitCap: 250 }, 250],
    ["a cap of 100", { limitCap: 100 }, 100],
    ["a skewed cap of 250", { limitCap: 250, overCap: "skew" }, 250],
    ["a skewed cap of 100", { limitCap: 100, overCap: "skew" }, 100]
  ]
  for (const [what, pageCap, size] of caps) {
    it.scopedLive(`${what}: the mirror is exact, every page after the first at ${size}, no request more than the pages at it`, () =>
      Effect.gen(function*() {
        const mock = yield* startMock({ count: COUNT, seed: 251, hiddenShare: 0, limiter: null, ...pageCap })
        const { requests, run } = yield* synced(mock, yield* tempDatabase)
        assert.include(run, { status: "succeeded", pageSize: size, inserted: COUNT, rowsUnlisted: 0, idsChecked: 0, tieRereads: 0 })
        assert.strictEqual(requests.length, yield* fewestRequests(mock, size))
        const later = requests.filter((r) => r.query.page !== "1" && r.query.limit !== "1")
        assert.deepStrictEqual([...new Set(later.map((r) => r.query.limit))], later.length === 0 ? [] : [String(size)])
      }))
  }

  it.scopedLive("a skewed cap with rows hidden on page 1: the round size, confirmed by the probe, no request more than the pages at it", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: COUNT, seed: 252, hiddenShare: 0.03, limiter: null, limitCap: 100, overCap: "skew" })
      const { requests, run } = yield* synced(mock, yield* tempDatabase)
      assert.include(run, { status: "succeeded", driftDetected: false, pageSize: 100, tieRereads: 0 })
      // The probe read the guess's last row, and found it on page 1.
      assert.deepStrictEqual(requests.filter((r) => r.query.limit === "1").map((r) => r.query.page), ["100", "100"])
      assert.strictEqual(requests.length, yield* fewestRequests(mock, 100))
    }))

  it.scopedLive("a skewed cap just under a round size: the guess fails its probe, the scan is redone at what page 1 held", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: COUNT, seed: 256, hiddenShare: 0, limiter: null, limitCap: 99, overCap: "skew" })
      const { requests, run } = yield* synced(mock, yield* tempDatabase)
      assert.include(run, { status: "succeeded", driftDetected: false, pageSize: 99, inserted: COUNT })
      assert.isTrue(requests.some((r) => r.query.limit === "100"))
    }))

  it.scopedLive("a skewed cap with hidden rows and shuffled ties: exact, no request more than the pages at the cap but tie re-reads", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: COUNT, seed: 252, hiddenShare: 0.01, shuffleTies: true, limiter: null, limitCap: 100, overCap: "skew" })
      const { requests, run } = yield* synced(mock, yield* tempDatabase)
      assert.include(run, { status: "succeeded", driftDetected: false, pageSize: 100 })
      assert.strictEqual(requests.length - run.tieRereads, yield* fewestRequests(mock, 100))
    }))

  it.scopedLive("a server refusing a large limit (400): the sync asks for 100 from then on", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: COUNT, seed: 253, hiddenShare: 0, limiter: null, limitCap: 100, overCap: "refuse" })
      const { requests, run } = yield* synced(mock, yield* tempDatabase)
      assert.include(run, { status: "succeeded", pageSize: 100, inserted: COUNT })
      const refused = requests.filter((r) => r.status === 400)
      assert.isAbove(refused.length, 0)
      assert.isTrue(refused.every((r) => r.query.limit === "1000" && r.query.page === "1"))
      assert.strictEqual(requests.length - refused.length, yield* fewestRequests(mock, 100))
    }))

  it.scopedLive("a cap that changes between syncs: each sync learns it afresh; an unchanged re-sync writes nothing", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: COUNT, seed: 254, hiddenShare: 0, limiter: null, limitCap: 250 })
      const url = yield* tempDatabase
      assert.strictEqual((yield* synced(mock, url)).run.pageSize, 250)
      yield* mock.setPageCap({ cap: null })
      yield* countMirrorWrites(url)
      const lifted = yield* synced(mock, url)
      assert.include(lifted.run, { pageSize: 1000, inserted: 0, updated: 0, deleted: 0 })
      assert.strictEqual(yield* mirrorWrites(url), 0)
      yield* mock.setPageCap({ cap: 100, overCap: "skew" })
      for (let i = 0; i < 30; i++) yield* mock.insert({})
      const skewed = yield* synced(mock, url)
      assert.include(skewed.run, { pageSize: 100, inserted: 30, deleted: 0 })
      assert.strictEqual(skewed.requests.length, yield* fewestRequests(mock, 100))
    }))

  it.scopedLive("--page-size fixes the size: no adaptation, every page at it; without it the CLI adapts; both recorded", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: COUNT, seed: 255, hiddenShare: 0, limiter: null, limitCap: 250 })
      const url = yield* tempDatabase
      const env = apiEnv(mock)
      const fixed = yield* runCli(["sync", "--db", url, "--page-size", "50"], env)
      assert.strictEqual(fixed.exitCode, 0, fixed.stderr)
      assert.include(fixed.stdout, "pages of 50;")
      const asked = new Set((yield* listings(mock)).filter((r) => r.query.limit !== "1").map((r) => r.query.limit))
      assert.deepStrictEqual([...asked], ["50"])
      yield* mock.clearRequests
      const adaptive = yield* runCli(["sync", "--db", url], env)
      assert.strictEqual(adaptive.exitCode, 0, adaptive.stderr)
      assert.include(adaptive.stdout, "pages of 250;")
      assert.strictEqual((yield* listings(mock)).length, yield* fewestRequests(mock, 250))
      const recorded = yield* rows<{ page_size: number }>(url, "SELECT page_size FROM sync_runs ORDER BY id")
      assert.deepStrictEqual(recorded.map((r) => r.page_size), [50, 250])
    }), { timeout: 30_000 })
})
