import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Connection, ConnectionState, ConnectionsPage } from "../src/Connection.js"

const row = {
  id: "673f79c6-0110-408b-bcbe-f4da000e66c7",
  platformVersion: "1.0.0",
  name: null,
  type: "api",
  key: "test::resend::default::46f75762f34e4962bf5684760f0f9f0e",
  environment: "test",
  platform: "resend",
  identity: "46f75762f34e4962bf5684760f0f9f0e",
  identityType: "user",
  description: "Email API for developers",
  state: "operational",
  tags: [],
  version: "1.0.0",
  active: true,
  createdAt: "2025-07-19T16:19:29.702632Z"
}

const decode = Schema.decodeUnknownEither(Connection)

describe("Connection", () => {
  it("decodes the reference example unchanged", () => {
    assert.deepStrictEqual<unknown>(decode(row), Either.right(row))
  })

  it("keeps fields it does not know, so the row can be stored whole", () => {
    const decoded = Either.getOrThrow(decode({ ...row, legacyRef: "abc", meta: { a: 1 } }))
    assert.strictEqual(decoded.legacyRef, "abc")
    assert.deepStrictEqual(decoded.meta, { a: 1 })
  })

  it("accepts the older shape without state, tags, name, identity and identityType", () => {
    const { identity: _i, identityType: _t, name: _n, state: _s, tags: _g, ...older } = row
    const decoded = Either.getOrThrow(decode(older))
    assert.isUndefined(decoded.state)
    assert.isUndefined(decoded.tags)
  })

  it("passes a new enum value through, typed as unrecognised", () => {
    const decoded = Either.getOrThrow(decode({ ...row, state: "paused", environment: "staging" }))
    assert.strictEqual(decoded.state, "paused")
    assert.isFalse(ConnectionState.isKnown(decoded.state))
    assert.isTrue(ConnectionState.isKnown("failed"))
    assert.strictEqual(decoded.environment, "staging")
  })

  it("fails on a row without id or key, naming the field", () => {
    const { id: _id, ...withoutId } = row
    const { key: _key, ...withoutKey } = row
    assert.isTrue(Either.isLeft(decode(withoutId)))
    assert.isTrue(Either.isLeft(decode(withoutKey)))
    assert.isTrue(Either.isLeft(decode({ ...row, id: "" })))
  })

  it("ignores envelope keys it does not know", () => {
    const page = Schema.decodeUnknownSync(ConnectionsPage)({
      type: "Vault Connections",
      rows: [row],
      total: 1,
      pages: 1,
      page: 1
    })
    assert.deepStrictEqual<unknown>(page, { rows: [row], total: 1, pages: 1, page: 1 })
  })
})
