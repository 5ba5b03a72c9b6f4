import { assert, describe, it } from "@effect/vitest"
import { canonicalJson } from "../src/CanonicalJson.js"

describe("CanonicalJson", () => {
  it("sorts keys at every depth, whatever order they came in, and keeps arrays in order", () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }
    const b = { a: { c: null, d: [3, { y: 2, z: 1 }] }, b: 1 }
    assert.strictEqual(canonicalJson(a), "{\"a\":{\"c\":null,\"d\":[3,{\"y\":2,\"z\":1}]},\"b\":1}")
    assert.strictEqual(canonicalJson(b), canonicalJson(a))
  })

  it("keeps a field named __proto__ as a field, never as the copy's prototype", () => {
    const row = JSON.parse("{\"id\":\"x\",\"__proto__\":{\"polluted\":true}}") as object
    assert.strictEqual(canonicalJson(row), "{\"__proto__\":{\"polluted\":true},\"id\":\"x\"}")
  })
})
