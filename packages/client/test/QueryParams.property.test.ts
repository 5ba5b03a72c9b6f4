import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { ListConnectionsParams, toUrlParams } from "../src/QueryParams.js"

/** `PICASYNC_RELIABILITY=full` (what `pnpm test:reliability` sets) runs many more cases. */
const runs = process.env.PICASYNC_RELIABILITY === "full" ? 5_000 : 300
const seed = process.env.PICASYNC_RELIABILITY_SEED === undefined ? undefined : Number(process.env.PICASYNC_RELIABILITY_SEED)
const figures = { scenarios: 0, faults: 0 }
afterAll(() =>
  console.log(`reliability ${JSON.stringify({ area: "hostile input", ...(seed === undefined ? {} : { seed }), ...figures, crashes: 0, rowsLost: 0 })}`)
)

const encode = toUrlParams(ListConnectionsParams)

/** The wire form through the schema alone, in its fields' order. */
const bySchema = (params: unknown) =>
  Object.entries(Schema.decodeUnknownSync(ListConnectionsParams, { onExcessProperty: "error" })(params)).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, String(value)] as const]
  )

/** Any text: every code point, plus lone UTF-16 surrogates, which no URL can carry. */
const anyText = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.char16bits() }), fc.constantFrom("", " ", ",", "a,b", "\uD800"))

/** What a server reads back: the query string parsed as the platform's URL does. */
const onTheWire = (params: ReadonlyArray<readonly [string, string]>) =>
  [...new URLSearchParams(new URLSearchParams(params as Array<[string, string]>).toString())]

const hasLoneSurrogate = (text: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)

const check = (property: fc.IProperty<any>) => {
  fc.assert(property, { numRuns: runs, ...(seed === undefined ? {} : { seed }) })
  figures.scenarios += runs
}

describe("QueryParams (property-based)", () => {
  it("any text filter is sent exactly as given, or refused naming its field; never changed on the way", () => {
    check(fc.property(fc.constantFrom("name", "platform", "platformVersion", "identity"), anyText, (field, value) => {
      const encoded = encode({ [field]: value })
      if (Either.isLeft(encoded)) {
        assert.strictEqual(encoded.left.field, field)
        assert.isTrue(value === "" || hasLoneSurrogate(value), `refused only what cannot be sent: ${JSON.stringify(value)}`)
        figures.faults++
        return
      }
      assert.deepStrictEqual(onTheWire(encoded.right), [[field, value]])
    }))
  })

  it("a tag or key list is sent item for item, or refused naming the item; a comma is never split silently", () => {
    check(fc.property(fc.constantFrom("tags", "key"), fc.array(anyText, { maxLength: 6 }), (field, items) => {
      const encoded = encode({ [field]: items })
      if (Either.isLeft(encoded)) {
        const bad = items.findIndex((item) => item === "" || item.includes(",") || hasLoneSurrogate(item))
        assert.strictEqual(encoded.left.field, bad === -1 ? field : `${field}[${bad}]`, JSON.stringify(items))
        // An item with a lone surrogate as well is refused for that first: either reason names a real fault.
        if (bad !== -1 && items[bad]!.includes(",") && !hasLoneSurrogate(items[bad]!)) {
          assert.include(encoded.left.reason, "comma")
        }
        figures.faults++
        return
      }
      const [[name, wire]] = onTheWire(encoded.right) as [[string, string]]
      assert.strictEqual(name, field)
      assert.deepStrictEqual(wire.split(","), items, "every item arrives whole")
    }))
  })

  it("numbers and flags: only positive whole limits and pages, only booleans for active", () => {
    check(fc.property(
      fc.record({ limit: fc.oneof(fc.integer(), fc.double()), page: fc.oneof(fc.integer(), fc.double()), active: fc.anything() }, {
        requiredKeys: []
      }),
      (params) => {
        const encoded = encode(params)
        const valid = (n: unknown) => n === undefined || (Number.isSafeInteger(n) && (n as number) >= 1)
        const ok = valid(params.limit) && valid(params.page) && (params.active === undefined || typeof params.active === "boolean")
        assert.strictEqual(Either.isRight(encoded), ok, JSON.stringify(params))
        if (Either.isLeft(encoded)) figures.faults++
        else assert.deepStrictEqual(encoded.right, bySchema(params), "the plain path renders what the schema would")
      }
    ))
  })

  it("anything else as parameters is refused with a field name, never thrown", () => {
    check(fc.property(fc.anything(), (params) => {
      const encoded = encode(params)
      if (Either.isLeft(encoded)) {
        assert.isString(encoded.left.field)
        assert.isString(encoded.left.reason)
        figures.faults++
      }
    }))
  })
})
