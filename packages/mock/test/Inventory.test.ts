import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { Connection, type ConnectionFilter, Generator, Inventory } from "../src/index.js"

const everything = {
  active: true,
  keys: undefined,
  tags: undefined,
  platformVersion: undefined,
  name: undefined,
  identityType: undefined,
  identity: undefined,
  platform: undefined,
  otherFields: []
} satisfies ConnectionFilter.ConnectionFilter

const failure = (result: Either.Either<unknown, { readonly _tag: string }>) =>
  Either.isLeft(result) ? result.left._tag : "none"

describe("Inventory", () => {
  it("the same seed and count give the same rows; another seed does not", () => {
    assert.deepStrictEqual(Generator.generate(7, 500), Generator.generate(7, 500))
    assert.notDeepEqual(Generator.generate(7, 50), Generator.generate(8, 50))
  })

  it("generates realistic, varied rows in the documented formats", () => {
    const rows = Inventory.make({ seed: 3, count: 20_000 }).all()
    const share = (predicate: (row: Connection.Connection) => boolean) => rows.filter(predicate).length / rows.length
    assert.closeTo(share((row) => !row.active), 0.1, 0.02)
    assert.closeTo(share((row) => !("state" in row) && !("tags" in row) && !("name" in row)), 0.05, 0.01)
    assert.closeTo(share((row) => "legacyRef" in row), 0.03, 0.01)
    assert.isAbove(share((row) => row.name === null), 0.2)
    assert.isAbove(share((row) => Array.isArray(row.tags) && row.tags.length === 0), 0.2)
    for (const field of ["environment", "identityType", "state"] as const) {
      const seen = new Set(rows.map((row) => row[field]).filter((value) => value != null))
      assert.strictEqual(seen.size, field === "environment" ? 2 : 4, field)
    }
    assert.isAbove(new Set(rows.map((row) => row.platform)).size, 30)
    for (const row of rows) {
      assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.match(row.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      // A null identity keeps the key it was generated with.
      const suffix = row.identity === null ? "(\\|.+)?" : row.identityType === undefined || row.identityType === "user" ? "" : `\\|${row.identity}`
      assert.match(row.key as string, new RegExp(`^${row.environment}::${row.platform}::default::[0-9a-f]{32}${suffix}$`))
      assert.strictEqual(row.type, "api")
    }
    assert.strictEqual(new Set(rows.map((row) => row.id)).size, rows.length)
  })

  it("keeps API order, createdAt descending then id, with exact ties present", () => {
    const rows = Inventory.make({ seed: 11, count: 5_000 }).all()
    let ties = 0
    for (let i = 1; i < rows.length; i++) {
      assert.isBelow(Connection.compare(rows[i - 1]!, rows[i]!), 0)
      if (rows[i - 1]!.createdAt === rows[i]!.createdAt) ties++
    }
    assert.isAbove(ties, 10)
  })

  it("insert completes partial rows, or stores verbatim with unknown fields and values", () => {
    const inventory = Inventory.make({ seed: 1, count: 10 })
    const completed = Either.getOrThrow(inventory.insert({ platform: "exa", tags: ["x"] }))
    assert.deepStrictEqual([completed.platform, completed.tags, completed.active], ["exa", ["x"], true])
    assert.strictEqual(inventory.all()[0], completed)
    assert.isString(completed.key)

    const verbatim = Either.getOrThrow(inventory.insert({ id: "v1", state: "quarantined", extra: { a: 1 } }, { verbatim: true }))
    assert.deepStrictEqual(Object.keys(verbatim).sort(), ["active", "createdAt", "extra", "id", "state"])
    assert.strictEqual(inventory.get("v1"), verbatim)
    assert.strictEqual(failure(inventory.insert({ id: "v1" })), "ConnectionExists")
    assert.strictEqual(failure(inventory.insert({ active: "yes" })), "InvalidConnection")
  })

  it("update moves a row between listings; remove drops it from both indexes", () => {
    const inventory = Inventory.make({ seed: 2, count: 100 })
    const [row] = inventory.list(everything, 0, 1).rows
    const before = inventory.list({ ...everything, active: false }, 0, 1000).total
    Either.getOrThrow(inventory.update(row!.id, { active: false }))
    assert.strictEqual(inventory.list({ ...everything, active: false }, 0, 1000).total, before + 1)
    assert.notStrictEqual(inventory.list(everything, 0, 1).rows[0]!.id, row!.id)
    Either.getOrThrow(inventory.remove(row!.id))
    assert.isUndefined(inventory.get(row!.id))
    assert.strictEqual(inventory.size, 99)
    assert.strictEqual(failure(inventory.remove(row!.id)), "ConnectionNotFound")
  })

  it("make with rows keeps their order when they carry no createdAt", () => {
    const inventory = Inventory.make({ seed: 1, count: 999, rows: [{ id: "a" }, { id: "b" }, { id: "c", active: false }] })
    assert.deepStrictEqual(inventory.all().map((row) => row.id), ["a", "b", "c"])
    assert.deepStrictEqual(inventory.list(everything, 0, 10).rows.map((row) => row.id), ["a", "b"])
  })
})
