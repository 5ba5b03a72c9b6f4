import { afterAll, assert, describe, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { MockPica } from "@picasync/mock"
import { Cause, Effect, Exit, Redacted } from "effect"
import * as Either from "effect/Either"
import fc from "fast-check"
import * as ConnectionsPage from "../src/ConnectionsPage.js"
import { ConnectorsPage } from "../src/Connector.js"
import { PicaClient } from "../src/PicaClient.js"
import { isTransient, PicaError, type PicaDecodeError } from "../src/PicaError.js"
import { resetMillis, retryAfter } from "../src/RateLimit.js"
import { type Answer, type Attempt, decodeBody, readBody, statusError } from "../src/ReadResponse.js"

/** `PICASYNC_RELIABILITY=full` (what `pnpm test:reliability` sets) runs many more cases. */
const full = process.env.PICASYNC_RELIABILITY === "full"
const runs = full ? 5_000 : 300
const seed = process.env.PICASYNC_RELIABILITY_SEED === undefined ? undefined : Number(process.env.PICASYNC_RELIABILITY_SEED)
const figures = { scenarios: 0, faults: 0 }
afterAll(() =>
  console.log(`reliability ${JSON.stringify({ area: "hostile input", ...(seed === undefined ? {} : { seed }), ...figures, crashes: 0, rowsLost: 0 })}`)
)
const settings = (numRuns: number) => ({ numRuns, ...(seed === undefined ? {} : { seed }) })

const attempt = { method: "GET", url: "http://127.0.0.1:1/v1/vault/connections", attempts: 1 }
const errorTags = new Set(PicaError.members.map((member) => member._tag))

/** A valid connection, so that mutated pages get past the first fields and fail deeper. */
const validRow = {
  id: "c0ffee00-0000-4000-8000-000000000001",
  key: "test::stripe::default::aa",
  platform: "stripe",
  environment: "test",
  active: true,
  createdAt: "2025-01-01T00:00:00.000000Z"
}

/** Any JSON, whole pages and rows with one field replaced by anything, and text that is not JSON at all. */
const hostileBody = fc.oneof(
  fc.json(),
  fc.string({ unit: "binary" }),
  fc.jsonValue().map((value) => JSON.stringify({ rows: [validRow, value], total: 2, pages: 1, page: 1 })),
  fc.record({ field: fc.constantFrom(...Object.keys(validRow), "tags", "state", "identityType"), value: fc.jsonValue() }).map((
    { field, value }
  ) => JSON.stringify({ rows: [{ ...validRow, [field]: value }], total: 1, pages: 1, page: 1 })),
  fc.record({ field: fc.constantFrom("rows", "total", "pages", "page"), value: fc.jsonValue() }).map(({ field, value }) =>
    JSON.stringify({ rows: [validRow], total: 1, pages: 1, page: 1, [field]: value })
  ),
  fc.constantFrom("", "null", "<html><body>502 Bad Gateway</body></html>", "{\"rows\":", "\u0000\uFFFF")
)

const check = (property: fc.IProperty<any>, numRuns = runs) => {
  fc.assert(property, settings(numRuns))
  figures.scenarios += numRuns
}

describe("ReadResponse (property-based)", () => {
  it("decoding any body gives a value or a PicaDecodeError naming where, never a throw", () => {
    const decoders: ReadonlyArray<(attempt: Attempt, answer: Answer) => Either.Either<unknown, PicaDecodeError>> = [
      readBody(ConnectionsPage.read),
      decodeBody(ConnectionsPage.ConnectionFromWire),
      decodeBody(ConnectorsPage)
    ]
    check(fc.property(hostileBody, fc.integer({ min: 200, max: 299 }), (body, status) => {
      for (const decode of decoders) {
        const result = decode(attempt, { status, headers: {}, body })
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "PicaDecodeError")
          assert.isAbove(result.left.path.length, 0)
          assert.notInclude(result.left.message, "\n")
          figures.faults++
        }
      }
    }))
  })

  it("a page with one row replaced by any JSON keeps every other row", () => {
    check(fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, position) => {
      const rows = Array.from({ length: 5 }, (_, i) => ({ ...validRow, id: `row-${i}` }))
      rows[position] = value as never
      const page = Either.getOrThrow(ConnectionsPage.read({ rows, total: 5, pages: 1, page: 1 }))
      assert.strictEqual(page.rows.length + page.unreadable.length, 5)
      const ids = new Set(page.rows.map((row) => row.id))
      assert.isTrue(rows.every((_, i) => i === position || ids.has(`row-${i}`)))
      for (const row of page.unreadable) {
        assert.strictEqual(row.position, position)
        assert.deepStrictEqual(row.raw, value)
        figures.faults++
      }
    }))
  })

  it("any status, body and headers map to one of the typed errors, with a one-line message", () => {
    check(fc.property(
      fc.integer({ min: 100, max: 599 }),
      hostileBody,
      fc.dictionary(fc.constantFrom("retry-after", "x-pica-rate-limit-reset", "content-type"), fc.string()),
      (status, body, headers) => {
        const error = statusError(attempt, { status, headers, body }, Date.now())
        assert.isTrue(errorTags.has(error._tag), error._tag)
        assert.isString(error.message)
        assert.strictEqual(typeof isTransient(error), "boolean")
        figures.faults++
      }
    ))
  })

  it("any Retry-After or reset header is a wait of zero or more milliseconds, or none", () => {
    check(fc.property(
      fc.record({ "retry-after": fc.oneof(fc.string(), fc.double().map(String), fc.date().map((d) => d.toUTCString())), "x-pica-rate-limit-reset": fc.oneof(fc.string(), fc.double().map(String)) }, { requiredKeys: [] }),
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      (headers, now) => {
        for (const wait of [retryAfter(headers, now), resetMillis(headers, now)]) {
          assert.isTrue(wait === undefined || wait >= 0, `${JSON.stringify(headers)} → ${wait}`)
        }
      }
    ))
  })

  it("over real HTTP, a listing answered with any body fails only with a typed error, never a defect", async () => {
    const numRuns = full ? 400 : 40
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const mock = yield* MockPica.start({ count: 5 })
      const client = yield* PicaClient.make({ secretKey: Redacted.make(mock.secret), baseUrl: mock.url, maxRetries: 0 }).pipe(
        Effect.provide(NodeHttpClient.layerUndici)
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(hostileBody, fc.constantFrom(200, 500, 429, 404, 401), async (body, status) => {
            const exit = await Effect.runPromiseExit(
              mock.setFaults({ script: [{ body, status }] }).pipe(Effect.zipRight(client.listConnections({ limit: 5 })))
            )
            if (Exit.isFailure(exit)) {
              const failure = Cause.failureOption(exit.cause)
              assert.isTrue(failure._tag === "Some" && errorTags.has(failure.value._tag), Cause.pretty(exit.cause))
              figures.faults++
            }
          }),
          settings(numRuns)
        )
      )
      figures.scenarios += numRuns
    })))
  })
})
