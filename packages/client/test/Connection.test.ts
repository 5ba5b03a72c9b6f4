import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Connection, ConnectionState } from "../src/Connection.js"
import * as ConnectionsPage from "../src/ConnectionsPage.js"

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

  it("reads null like absent in every field but id and key (the open backend sends None as null)", () => {
    const optional = Object.keys(row).filter((field) => field !== "id" && field !== "key")
    const allNull = Object.fromEntries(optional.map((field) => [field, null]))
    assert.isTrue(Either.isRight(decode({ id: row.id, key: row.key, ...allNull })))
    assert.isTrue(Either.isRight(decode({ id: row.id, key: row.key })))
    assert.isTrue(Either.isLeft(decode({ ...row, id: null })))
    assert.isTrue(Either.isLeft(decode({ ...row, key: null })))
  })

  it("reads the older shape: _id for id, createdAt in epoch milliseconds, extra fields kept", () => {
    const { createdAt: _c, id: _id, ...rest } = row
    const older = { ...rest, _id: row.id, createdAt: 1752942169702, updatedAt: 1752942169702, deleted: false }
    const decoded = Schema.decodeUnknownSync(ConnectionsPage.ConnectionFromWire)(older)
    assert.strictEqual(decoded.id, row.id)
    assert.strictEqual(decoded.createdAt, "2025-07-19T16:22:49.702Z")
    assert.strictEqual(decoded.updatedAt, 1752942169702)
    assert.isFalse("_id" in decoded)
    const page = Either.getOrThrow(ConnectionsPage.read({ rows: [older], total: 1, pages: 1, page: 1 }))
    assert.deepStrictEqual<unknown>(page.rows, [decoded])
  })

  it("ignores envelope keys it does not know", () => {
    const page = Either.getOrThrow(ConnectionsPage.read({
      type: "Vault Connections",
      rows: [row],
      total: 1,
      pages: 1,
      page: 1
    }))
    assert.deepStrictEqual<unknown>(page, { rows: [row], unreadable: [], total: 1, pages: 1, page: 1 })
  })

  it("one unreadable row never fails the page: it is kept beside the others with its position, raw JSON, id, path and reason", () => {
    const bad = { ...row, id: "bad-1", active: "yes" }
    const noId = { ...row, id: 42 }
    const page = Either.getOrThrow(ConnectionsPage.read({ rows: [row, bad, row, noId], total: 4, pages: 1, page: 1 }))
    assert.deepStrictEqual<unknown>(page.rows, [row, row])
    assert.deepStrictEqual(page.unreadable.map(({ id, path, position, raw }) => ({ id, path, position, raw })), [
      { id: "bad-1", path: "rows[1].active", position: 1, raw: bad },
      { id: undefined, path: "rows[3].id", position: 3, raw: noId }
    ])
    assert.match(page.unreadable[0]!.reason, /boolean/)
    assert.strictEqual(page.unreadable[1]!.message, `row 3 (no usable id) unreadable at rows[3].id: ${page.unreadable[1]!.reason}`)
  })

  it("a body that is not a page at all still fails, naming where", () => {
    for (const [json, path] of [[null, "body"], [{ total: 1, pages: 1, page: 1 }, "rows"], [{ rows: [], total: "1", pages: 1, page: 1 }, "total"]] as const) {
      const result = ConnectionsPage.read(json)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.strictEqual(result.left.path, path)
    }
  })
})
