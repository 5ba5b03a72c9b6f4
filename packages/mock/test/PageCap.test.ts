import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MockPica } from "../src/index.js"
import { call } from "./support.js"

/** 250 active rows, none hidden, ties in id order: pages are exact slices of the inventory. */
const start = (options: MockPica.MockPicaOptions) =>
  Effect.gen(function*() {
    const server = yield* MockPica.start({ count: 0, hiddenShare: 0, shuffleTies: false, limiter: null, ...options })
    for (let i = 0; i < 250; i++) yield* server.insert({ active: true })
    const ids = (yield* server.inventory).map((row) => row.id)
    return { server, ids }
  })

const page = (server: MockPica.MockPicaServer, limit: number, number: number) =>
  Effect.map(call(server, `/v1/vault/connections?limit=${limit}&page=${number}`), (answer) => ({
    status: answer.status,
    json: answer.json,
    ids: (answer.json.rows ?? []).map((row: { id: string }) => row.id) as Array<string>
  }))

describe("PageCap", () => {
  it.scopedLive("clamp (the default): a larger limit pages by the cap, offsets and pages included", () =>
    Effect.gen(function*() {
      const { ids, server } = yield* start({})
      const second = yield* page(server, 1000, 2)
      assert.deepStrictEqual(second.ids, ids.slice(100, 200))
      assert.include(second.json, { total: 250, pages: 3, page: 2 })
    }))

  it.scopedLive("skew: the rows are capped but offsets and pages follow the size asked", () =>
    Effect.gen(function*() {
      const { ids, server } = yield* start({ limitCap: 40, overCap: "skew" })
      const [first, second] = yield* Effect.all([page(server, 100, 1), page(server, 100, 2)])
      assert.deepStrictEqual(first.ids, ids.slice(0, 40))
      assert.include(first.json, { total: 250, pages: 3, page: 1 })
      // Rows 40..99 are on no page asked at 100.
      assert.deepStrictEqual(second.ids, ids.slice(100, 140))
      // At or under the cap it pages honestly.
      assert.deepStrictEqual((yield* page(server, 40, 2)).ids, ids.slice(40, 80))
    }))

  it.scopedLive("refuse: 400 naming limit above the cap, the page at or under it", () =>
    Effect.gen(function*() {
      const { ids, server } = yield* start({ limitCap: 100, overCap: "refuse" })
      const refused = yield* page(server, 101, 1)
      assert.strictEqual(refused.status, 400)
      assert.include(refused.json, { code: 2000, message: "limit must be at most 100, got 101" })
      assert.deepStrictEqual(refused.json.meta, { param: "limit" })
      assert.deepStrictEqual((yield* page(server, 100, 3)).ids, ids.slice(200))
    }))

  it.scopedLive("no cap: any limit is served whole; the cap changes at runtime, over the admin route too", () =>
    Effect.gen(function*() {
      const { ids, server } = yield* start({ limitCap: null })
      assert.deepStrictEqual((yield* page(server, 1000, 1)).ids, ids)
      yield* server.setPageCap({ cap: 50 })
      assert.deepStrictEqual(yield* server.pageCap, { cap: 50, overCap: "clamp" })
      assert.deepStrictEqual((yield* page(server, 1000, 1)).ids, ids.slice(0, 50))
      const answer = yield* call(server, "/__admin/page-cap", { method: "PUT", body: { overCap: "refuse" } })
      assert.deepStrictEqual(answer.json, { cap: 50, overCap: "refuse" })
      assert.strictEqual((yield* page(server, 1000, 1)).status, 400)
      const invalid = yield* call(server, "/__admin/page-cap", { method: "PUT", body: { cap: 0 } })
      assert.strictEqual(invalid.status, 400)
    }))
})
