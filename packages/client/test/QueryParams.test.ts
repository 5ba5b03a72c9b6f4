import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { ListConnectionsParams, ListConnectorsParams, toUrlParams } from "../src/QueryParams.js"

const connections = toUrlParams(ListConnectionsParams)

describe("QueryParams", () => {
  it("renders all ten connection parameters in their wire form", () => {
    const rendered = connections({
      key: ["test::stripe::default::aa", "live::slack::default::bb|u1"],
      platformVersion: "1.0.0",
      name: "Main account",
      identityType: "organization",
      identity: "org_1",
      platform: "stripe",
      tags: ["billing", "eu"],
      active: false,
      limit: 50,
      page: 3
    })
    assert.deepStrictEqual(
      rendered,
      Either.right([
        ["key", "test::stripe::default::aa,live::slack::default::bb|u1"],
        ["platformVersion", "1.0.0"],
        ["name", "Main account"],
        ["identityType", "organization"],
        ["identity", "org_1"],
        ["platform", "stripe"],
        ["tags", "billing,eu"],
        ["active", "false"],
        ["limit", "50"],
        ["page", "3"]
      ])
    )
  })

  it("sends nothing for parameters left out", () => {
    assert.deepStrictEqual(connections({}), Either.right([]))
  })

  const refused: ReadonlyArray<readonly [string, unknown, string]> = [
    ["limit zero", { limit: 0 }, "limit"],
    ["fractional page", { page: 1.5 }, "page"],
    ["negative page", { page: -1 }, "page"],
    ["unknown identity type", { identityType: "robot" }, "identityType"],
    ["a tag with a comma", { tags: ["a,b"] }, "tags[0]"],
    ["an empty key", { key: [""] }, "key[0]"],
    ["active as a string", { active: "yes" }, "active"],
    ["an unknown parameter", { skip: 20 }, "skip"],
    ["an unknown parameter beside a page", { page: 2, skip: 20 }, "skip"],
    ["a page a connector listing has but not its flag", { page: 2, authkit: true }, "authkit"]
  ]
  for (const [what, params, field] of refused) {
    it(`refuses ${what}, naming ${field}`, () => {
      const result = connections(params)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.strictEqual(result.left.field, field)
    })
  }

  it("renders paging parameters, given in any order, in the schema's order, leaving out those undefined", () => {
    assert.deepStrictEqual(
      connections({ page: 2, limit: 1_000, active: false, identity: undefined }),
      Either.right([["active", "false"], ["limit", "1000"], ["page", "2"]])
    )
    assert.deepStrictEqual(connections({ page: undefined }), Either.right([]))
    // Inherited fields are not parameters, as the schema reads them.
    assert.deepStrictEqual(connections(Object.create({ page: 2 })), Either.right([]))
  })

  it("renders connector parameters", () => {
    assert.deepStrictEqual(
      toUrlParams(ListConnectorsParams)({ category: "CRM", authkit: true, limit: 10 }),
      Either.right([["category", "CRM"], ["authkit", "true"], ["limit", "10"]])
    )
  })
})
