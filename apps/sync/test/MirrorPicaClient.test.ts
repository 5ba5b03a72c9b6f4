import { assert, describe, it, layer } from "@effect/vitest"
import type { ListConnectionsParams, PicaClientService, PicaError } from "@picasync/client"
import { Connection, type MockPica } from "@picasync/mock"
import { Context, Effect, Either, Exit, Layer, Scope, Stream } from "effect"
import * as fc from "effect/FastCheck"
import * as MirrorPicaClient from "../src/MirrorPicaClient.js"
import { PicaSync } from "../src/PicaSync.js"
import { liveClient, serviceOf } from "./cache/Clients.js"
import { mirrorLayer, startMock, sync, tempDatabase } from "./harness.js"

/** Rows the generator never makes: unknown fields beside nulls, a bare older shape, and one the client cannot read. */
const oddRows = [
  { key: "test::stripe::default::0000000000000000000000000000000a", platform: "stripe", name: null, identity: null, identityType: null, state: "operational", tags: ["billing"], plan: { tier: "gold" } },
  { key: "test::resend::default::0000000000000000000000000000000b", platform: "resend", type: "api", version: "1.0.0" },
  { key: "test::slack::default::0000000000000000000000000000000c", platform: "slack", state: 42, tags: ["ops"] }
]

interface Implementations {
  readonly mock: MockPica.MockPicaServer
  readonly inventory: ReadonlyArray<Connection.Connection>
  readonly clients: ReadonlyArray<readonly [name: string, client: PicaClientService]>
}

class Contract extends Context.Tag("test/Contract")<Contract, Implementations>() {}

/** One mock, one mirror synced from it, and the three implementations over them. */
const ContractLive = Layer.scoped(
  Contract,
  Effect.gen(function*() {
    const mock = yield* startMock({ count: 240, seed: 22, hiddenShare: 0, limiter: null })
    for (const row of oddRows) yield* Effect.orDie(mock.insert(row, { verbatim: true }))
    const url = yield* tempDatabase
    yield* sync({ mock, url })
    const mirror = Layer.succeedContext(yield* Layer.build(mirrorLayer(url)))
    const live = liveClient(mock)
    const engine = PicaSync.layer({ source: "test" }).pipe(Layer.provide(Layer.merge(mirror, live)))
    return {
      mock,
      inventory: yield* mock.inventory,
      clients: [
        ["live", yield* serviceOf(live)],
        ["mirror", yield* serviceOf(MirrorPicaClient.layer().pipe(Layer.provide(mirror)))],
        // A stream's pages read a few at a time, so its reads end mid-listing.
        ["mirror, small reads", yield* serviceOf(MirrorPicaClient.layer({ rowsPerRead: 40 }).pipe(Layer.provide(mirror)))],
        ["read-through", yield* serviceOf(MirrorPicaClient.layerReadThrough({ maxAge: "1 hour" }).pipe(
          Layer.provide(Layer.mergeAll(live, engine, mirror))
        ))]
      ]
    }
  })
)

/** What a test compares: the value, or the failure's tag and the fields that say why. */
const outcome = <A>(effect: Effect.Effect<A, PicaError>) =>
  Effect.map(Effect.either(effect), Either.match({
    onRight: (value) => ({ value }),
    onLeft: (error) => ({
      error: error._tag,
      ...("field" in error ? { field: error.field, reason: error.reason } : {}),
      ...("path" in error ? { path: error.path, reason: error.reason } : {})
    })
  }))

/** Every implementation gives what the live client gives. */
const sameAnswers = <A>(ask: (client: PicaClientService) => Effect.Effect<A, PicaError>) =>
  Effect.gen(function*() {
    const { clients } = yield* Contract
    const [first, ...others] = clients
    assert.isDefined(first, "the live client comes first")
    const [, live] = first
    const expected = yield* outcome(ask(live))
    for (const [name, client] of others) assert.deepStrictEqual(yield* outcome(ask(client)), expected, name)
    return expected
  })

const list = (params: ListConnectionsParams) => (client: PicaClientService) => client.listConnections(params)

/** A field of the inventory's `index`th row (wrapping), when it is a string. */
const fieldOf = (inventory: ReadonlyArray<Connection.Connection>, index: number, field: string) => {
  const value = inventory[index % inventory.length]![field]
  return typeof value === "string" ? value : undefined
}

const choice = fc.option(fc.nat({ max: 999 }), { nil: undefined, freq: 2 })

/** Random parameters, as indexes into the inventory so most filters match something. */
const arbitraryParams = {
  key: fc.option(fc.array(fc.nat({ max: 999 }), { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 2 }),
  platform: choice,
  platformVersion: choice,
  name: choice,
  identity: choice,
  identityType: fc.option(fc.constantFrom(...Connection.identityTypes), { nil: undefined, freq: 2 }),
  tags: fc.option(fc.subarray([...Connection.tagVocabulary], { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 2 }),
  active: fc.option(fc.boolean(), { nil: undefined }),
  limit: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  page: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined })
}

type Choices = { readonly [K in keyof typeof arbitraryParams]: (typeof arbitraryParams)[K] extends fc.Arbitrary<infer T> ? T : never }

const paramsOf = (inventory: ReadonlyArray<Connection.Connection>, choices: Choices): ListConnectionsParams => {
  const params: Record<string, unknown> = {}
  const keys = choices.key?.flatMap((index) => fieldOf(inventory, index, "key") ?? [])
  if (keys !== undefined && keys.length > 0) params.key = keys
  for (const field of ["platform", "platformVersion", "name", "identity"] as const) {
    const index = choices[field]
    const value = index === undefined ? undefined : fieldOf(inventory, index, field)
    if (value !== undefined) params[field] = value
  }
  for (const field of ["identityType", "tags", "active", "limit", "page"] as const) {
    if (choices[field] !== undefined) params[field] = choices[field]
  }
  return params as ListConnectionsParams
}

// Without the test services: the clock is the real one, as the servers need.
layer(ContractLive, { timeout: "60 seconds", excludeTestServices: true })("the PicaClient contract: live, mirror and read-through", (it) => {
  it.effect("each parameter alone, with the API's defaults, lists, any-of and exact matches", () =>
    Effect.gen(function*() {
      const { inventory } = yield* Contract
      const active = inventory.filter((row) => row.active && typeof row.platform === "string" && typeof row.name === "string")
      const [a, b, c] = active
      const cases: ReadonlyArray<ListConnectionsParams> = [
        {},
        { active: false },
        { active: true, limit: 7, page: 3 },
        { limit: 100 },
        { limit: 13, page: 19 },
        { page: 999 },
        { key: [a!.key as string, b!.key as string, "test::none::default::00"] },
        { key: [` ${c!.key as string} `] },
        { platform: a!.platform as string },
        { platform: "no-such-platform" },
        { platformVersion: a!.platformVersion as string, limit: 100 },
        { name: a!.name as string },
        { name: "" },
        { identityType: "team", limit: 50 },
        { identityType: "project", active: false },
        { identity: b!.identity as string },
        { tags: ["billing", "crm"], limit: 25, page: 2 },
        { tags: ["ops"], active: false },
        { platform: "stripe", tags: ["billing"], active: true, limit: 3 }
      ]
      for (const params of cases) {
        const answer = yield* sameAnswers(list(params))
        assert.property(answer, "value", JSON.stringify(params))
      }
    }))

  it.effect("a page holds the rows the generator never makes: unknown fields, nulls, the older shape, an unreadable row", () =>
    Effect.gen(function*() {
      const answer = yield* sameAnswers(list({ limit: 5 }))
      assert.property(answer, "value")
      const page = (answer as { value: { rows: ReadonlyArray<Record<string, unknown>>; unreadable: ReadonlyArray<unknown> } }).value
      assert.deepStrictEqual(page.rows.find((row) => row.key === oddRows[0]!.key)?.plan, { tier: "gold" })
      assert.isTrue(page.rows.some((row) => row.key === oddRows[1]!.key && !("state" in row)))
      assert.strictEqual(page.unreadable.length, 1)
    }))

  it.effect("invalid parameters fail with the same PicaBadRequestError before anything is read", () =>
    Effect.gen(function*() {
      const invalid: ReadonlyArray<unknown> = [
        { limit: 0 },
        { page: 1.5 },
        { tags: [] },
        { key: ["a,b"] },
        { identityType: "robot" },
        { platfrom: "stripe" }
      ]
      for (const params of invalid) {
        const answer = yield* sameAnswers(list(params as ListConnectionsParams))
        assert.strictEqual((answer as { error?: string }).error, "PicaBadRequestError", JSON.stringify(params))
      }
    }))

  it.effect("getConnection: active, inactive, unknown, empty and unreadable ids", () =>
    Effect.gen(function*() {
      const { inventory } = yield* Contract
      const inactive = inventory.find((row) => !row.active)!
      const unreadable = inventory.find((row) => row.key === oddRows[2]!.key)!
      const answers = yield* Effect.forEach(
        [inventory[0]!.id, inactive.id, "00000000-0000-4000-8000-000000000000", " ", unreadable.id],
        (id) => sameAnswers((client) => client.getConnection(id))
      )
      assert.deepStrictEqual(answers.slice(2).map((answer) => (answer as { error?: string }).error), [
        "PicaNotFoundError",
        "PicaBadRequestError",
        "PicaDecodeError"
      ])
    }))

  it.effect("streams: every page and every connection, in order, from any first page", () =>
    Effect.gen(function*() {
      yield* sameAnswers((client) => Stream.runCollect(client.streamPages({ limit: 30, active: false })))
      yield* sameAnswers((client) => Stream.runCollect(client.streamPages({ limit: 17, page: 4, tags: ["crm", "sales"] })))
      const all = yield* sameAnswers((client) => Stream.runCollect(client.streamConnections()))
      assert.isAbove((all as { value: { length: number } }).value.length, 200)
      yield* sameAnswers((client) => Stream.runCollect(client.streamConnections({ active: false, platform: "stripe" })))
    }))

  it.effect.prop("random combinations of the ten parameters", arbitraryParams, (choices) =>
    Effect.gen(function*() {
      const { inventory } = yield* Contract
      yield* sameAnswers(list(paramsOf(inventory, choices)))
    }), { fastCheck: { numRuns: 40 } })
})

describe("MirrorPicaClient.layer, offline", () => {
  it.scopedLive("gives the same answers with the mock stopped, and sends it no request", () =>
    Effect.gen(function*() {
      const mockScope = yield* Scope.make()
      const mock = yield* Scope.extend(startMock({ count: 120, seed: 5, hiddenShare: 0, limiter: null }), mockScope)
      const url = yield* tempDatabase
      yield* sync({ mock, url })
      const asks = [list({}), list({ active: false, limit: 9, page: 2 }), list({ tags: ["billing"] })]
      const live = yield* Scope.extend(serviceOf(liveClient(mock)), mockScope)
      const expected = yield* Effect.forEach(asks, (ask) => ask(live))
      const mirror = yield* serviceOf(MirrorPicaClient.layer().pipe(Layer.provide(mirrorLayer(url))))
      yield* mock.clearRequests
      assert.deepStrictEqual(yield* Effect.forEach(asks, (ask) => ask(mirror)), expected)
      assert.deepStrictEqual(yield* mock.requests, [])
      yield* Scope.close(mockScope, Exit.void)
      assert.deepStrictEqual(yield* Effect.forEach(asks, (ask) => ask(mirror)), expected)
      const stream = yield* Stream.runCollect(mirror.streamConnections({ active: false }))
      assert.strictEqual(stream.length, (yield* mirror.listConnections({ active: false })).total)
    }))

  it.scopedLive("says which run answers; fails typed for writes, the catalogue, a mirror never synced and several sources", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 20, seed: 6, limiter: null })
      const url = yield* tempDatabase
      const mirror = Layer.succeedContext(yield* Layer.build(mirrorLayer(url)))
      const client = yield* serviceOf(MirrorPicaClient.layer().pipe(Layer.provide(mirror)))
      const never = yield* Effect.flip(client.listConnections())
      assert.include(never, { _tag: "PicaMirrorError", kind: "never-synced" })
      const run = yield* sync({ mock, url })
      const freshness = yield* MirrorPicaClient.freshness().pipe(Effect.provide(mirror))
      assert.deepStrictEqual(freshness, { source: "test", runId: run.id, committedAt: run.finishedAt! })
      for (const write of [client.updateConnectionTags("x", []), client.deleteConnection("x"), client.listConnectors()]) {
        const error = yield* Effect.flip(write)
        assert.include(error, { _tag: "PicaMirrorError", kind: "read-only" })
        assert.match(error.message, /read-only/)
      }
      yield* sync({ mock, url, source: "other" })
      const several = yield* Effect.flip(client.getConnection("x"))
      assert.include(several, { _tag: "PicaMirrorError", kind: "several-sources" })
      assert.match(several.message, /other, test/)
      const other = yield* serviceOf(MirrorPicaClient.layer({ source: "other" }).pipe(Layer.provide(mirror)))
      assert.strictEqual((yield* other.listConnections()).total, (yield* mock.inventory).filter((row) => row.active).length)
      const unknown = yield* Effect.flip(
        (yield* serviceOf(MirrorPicaClient.layer({ source: "nope" }).pipe(Layer.provide(mirror)))).listConnections()
      )
      assert.include(unknown, { kind: "never-synced" })
      assert.match(unknown.message, /source "nope"/)
    }))
})
