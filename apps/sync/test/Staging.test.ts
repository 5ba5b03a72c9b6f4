import { assert, describe, it } from "@effect/vitest"
import { canonicalJson } from "../src/Staging.js"

describe("Staging.canonicalJson", () => {
  it("sorts keys at every depth, whatever order they came in, and keeps arrays in order", () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }
    const b = { a: { c: null, d: [3, { y: 2, z: 1 }] }, b: 1 }
    assert.strictEqual(canonicalJson(a), "{\"a\":{\"c\":null,\"d\":[3,{\"y\":2,\"z\":1}]},\"b\":1}")
    assert.strictEqual(canonicalJson(b), canonicalJson(a))
  })

  it("keeps a field named __proto__ as a field, without touching any prototype", () => {
    const row = JSON.parse("{\"id\":\"x\",\"__proto__\":{\"polluted\":true}}") as object
    assert.strictEqual(canonicalJson(row), "{\"__proto__\":{\"polluted\":true},\"id\":\"x\"}")
    assert.isUndefined(({} as { polluted?: boolean }).polluted)
  })
})
