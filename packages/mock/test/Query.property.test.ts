import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { MockPica } from "../src/index.js"
import { call } from "./support.js"

/** `PICASYNC_RELIABILITY=full` (what `pnpm test:reliability` sets) runs many more cases. */
const runs = process.env.PICASYNC_RELIABILITY === "full" ? 2_000 : 150
const seed = process.env.PICASYNC_RELIABILITY_SEED === undefined ? undefined : Number(process.env.PICASYNC_RELIABILITY_SEED)
const figures = { scenarios: 0, faults: 0 }
afterAll(() =>
  console.log(`reliability ${JSON.stringify({ area: "hostile input", ...(seed === undefined ? {} : { seed }), ...figures, crashes: 0, rowsLost: 0 })}`)
)

const LIMIT_CAP = 7
type Row = { readonly id: string; readonly createdAt: string; readonly active: boolean; readonly [field: string]: unknown }

// Small vocabularies, so filters match often; a few values hostile on purpose (spaces, unicode, commas).
const platforms = ["stripe", "slack", "gmail", "émoji-🦄", " padded "]
const tagWords = ["crm", "billing", "ops", "a b", "ünï"]
const keys = ["k1", "k2", "k3", "k|team_1", "ключ"]
const identityTypes = ["user", "team", "organization", "project"]
const stamps = ["2025-01-01T00:00:00.000001Z", "2025-01-01T00:00:00.000002Z", "2024-06-01T12:00:00.000000Z"]

const optional = <A>(arbitrary: fc.Arbitrary<A>) => fc.option(arbitrary, { nil: undefined, freq: 3 })

const rowArbitrary = fc.record({
  id: fc.uuid(),
  createdAt: fc.constantFrom(...stamps),
  active: fc.boolean(),
  key: optional(fc.constantFrom(...keys)),
  tags: optional(fc.oneof(fc.subarray(tagWords), fc.constant("not-an-array"))),
  platform: optional(fc.constantFrom(...platforms)),
  platformVersion: optional(fc.constantFrom("1.0.0", "2.0.0")),
  name: optional(fc.oneof(fc.constant(null), fc.constantFrom("Main", "Ops team"))),
  identity: optional(fc.constantFrom("u1", "org_1")),
  identityType: optional(fc.constantFrom(...identityTypes, "robot")),
  // Undocumented fields of every JSON type, for the parameters the backend turns into filters.
  environment: optional(fc.constantFrom("test", "live", "", null)),
  deprecated: optional(fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 1.5), fc.constant(["true"]), fc.constant({ a: 1 })))
}).map((row) => Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) as Row)

const inventoryArbitrary = fc.uniqueArray(rowArbitrary, { selector: (row) => row.id, maxLength: 40 })

/** A comma list with empty and padded items, as a careless caller would send it. */
const listValue = (words: ReadonlyArray<string>) =>
  fc.array(fc.oneof(fc.constantFrom(...words), fc.constantFrom("", " ", "unknown"), fc.string({ unit: "binary", maxLength: 4 })), {
    maxLength: 4
  }).map((items) => items.join(","))

/** Mostly valid, sometimes malformed: a query with a bad parameter checks only the 400. */
const sometimes = <A>(valid: fc.Arbitrary<A>, malformed: fc.Arbitrary<A>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: malformed, weight: 1 })

const number = sometimes(
  fc.oneof(fc.integer({ min: 1, max: 12 }).map(String), fc.constant("")),
  fc.constantFrom("0", "-1", "1.5", "abc", "1e2", " 3", "99999999999999999999")
)

const paramsArbitrary = fc.record({
  key: optional(listValue(keys)),
  tags: optional(listValue(tagWords)),
  platform: optional(fc.oneof(fc.constantFrom(...platforms, ""), fc.string({ unit: "binary", maxLength: 5 }))),
  platformVersion: optional(fc.constantFrom("1.0.0", "2.0.0", "", "3")),
  name: optional(fc.constantFrom("Main", "Ops team", "", "main")),
  identity: optional(fc.constantFrom("u1", "org_1", "")),
  identityType: optional(sometimes(fc.constantFrom(...identityTypes, ""), fc.constantFrom("robot", "USER"))),
  active: optional(sometimes(fc.constantFrom("true", "false", ""), fc.constantFrom("maybe", "TRUE"))),
  limit: optional(number),
  page: optional(number),
  // Not documented: each is an exact-match filter on that field, a misspelling matches nothing.
  environment: optional(fc.constantFrom("test", "live", "", "null")),
  deprecated: optional(fc.constantFrom("true", "false", "0", "1", "1.5", "[object Object]")),
  platfrom: optional(fc.constantFrom(...platforms)),
  keys: optional(listValue(keys))
}).map((params) => Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined)) as Record<string, string>)

const documented = ["key", "tags", "platformVersion", "name", "identityType", "identity", "platform", "active", "limit", "page"]

/**
 * The listing as the mock's README specifies it, written independently of the mock: an empty value
 * counts as absent; `key` and `tags` are comma lists matched any-of (items trimmed, empty ones dropped);
 * the other filters are exact; `active` defaults to true; `limit` (default 20, clamped to the cap) and
 * `page` (default 1) are whole numbers >= 1; any other parameter, empty or not, matches rows whose field
 * of that name is a string, number or boolean spelling its value; rows come `createdAt` descending, then
 * `id` ascending (ties unshuffled).
 */
const reference = (rows: ReadonlyArray<Row>, params: Readonly<Record<string, string>>) => {
  const value = (name: string) => (params[name] === undefined || params[name] === "" ? undefined : params[name])
  const whole = (name: string, fallback: number) => {
    const text = value(name)
    if (text === undefined) return fallback
    return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) && Number(text) >= 1 ? Number(text) : undefined
  }
  const limit = whole("limit", 20)
  const page = whole("page", 1)
  const active = value("active") === undefined ? true : value("active") === "true" ? true : value("active") === "false" ? false : undefined
  const identityType = value("identityType")
  const invalid = [
    ...(limit === undefined ? ["limit"] : []),
    ...(page === undefined ? ["page"] : []),
    ...(active === undefined ? ["active"] : []),
    ...(identityType !== undefined && !identityTypes.includes(identityType) ? ["identityType"] : [])
  ]
  if (invalid.length > 0) return { invalid } as const
  const list = (name: string) => {
    const items = value(name)?.split(",").map((item) => item.trim()).filter((item) => item !== "")
    return items === undefined || items.length === 0 ? undefined : items
  }
  const keyList = list("key")
  const tagList = list("tags")
  const matching = rows
    .filter((row) => row.active === active)
    .filter((row) => keyList === undefined || keyList.includes(row.key as string))
    .filter((row) => tagList === undefined || (Array.isArray(row.tags) && row.tags.some((tag) => tagList.includes(tag))))
    .filter((row) =>
      ["platformVersion", "name", "identityType", "identity", "platform"].every((field) =>
        value(field) === undefined || row[field] === value(field)
      )
    )
    .filter((row) =>
      Object.entries(params).filter(([name]) => !documented.includes(name)).every(([name, wanted]) =>
        ["string", "number", "boolean"].includes(typeof row[name]) && String(row[name]) === wanted
      )
    )
    .sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt > b.createdAt ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const size = Math.min(limit!, LIMIT_CAP)
  return {
    rows: matching.slice((page! - 1) * size, page! * size).map((row) => row.id),
    total: matching.length,
    pages: Math.ceil(matching.length / size),
    page: page!
  } as const
}

describe("the mock's listing filters (property-based, over HTTP) against a reference filter", () => {
  it.scopedLive("any inventory and any query string: the same rows, total, pages and page, or a 400 naming a bad parameter", () =>
    Effect.gen(function*() {
      // Ties unshuffled, to compare exact pages; no limiter, for the thousands of requests of a full run.
      const mock = yield* MockPica.start({ count: 0, limitCap: LIMIT_CAP, shuffleTies: false, limiter: null })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(inventoryArbitrary, paramsArbitrary, async (rows, params) => {
            await Effect.runPromise(Effect.gen(function*() {
              for (const row of yield* mock.inventory) yield* Effect.orDie(mock.remove(row.id))
              for (const row of rows) yield* Effect.orDie(mock.insert(row, { verbatim: true }))
              const answer = yield* call(mock, `/v1/vault/connections?${new URLSearchParams(params)}`)
              const expected = reference(rows, params)
              if ("invalid" in expected) {
                assert.strictEqual(answer.status, 400, JSON.stringify(params))
                assert.include(expected.invalid, answer.json.meta.param)
                figures.faults++
                return
              }
              assert.strictEqual(answer.status, 200, answer.text)
              assert.deepStrictEqual(
                { rows: answer.json.rows.map((row: Row) => row.id), total: answer.json.total, pages: answer.json.pages, page: answer.json.page },
                expected,
                JSON.stringify(params)
              )
            }))
          }),
          { numRuns: runs, ...(seed === undefined ? {} : { seed }) }
        )
      )
      figures.scenarios += runs
    }), 120_000)
})
