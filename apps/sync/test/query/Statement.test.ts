import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { checkReadOnly, parameters } from "../../src/query/Statement.js"

describe("Statement.checkReadOnly", () => {
  const accepted = [
    "select * from connections",
    "  -- failing ones\n SELECT platform, count(*) FROM connections WHERE state = 'failed' GROUP BY 1;",
    "with t as (select 1) select * from t",
    "(select 1)",
    "values (1), (2)",
    "explain query plan select 1",
    "pragma table_info(connections)",
    "PRAGMA main.table_info('connections')",
    "select 'a; delete from connections' as s",
    "select \"x;y\" from t /* ; drop table t */"
  ]
  for (const sql of accepted) {
    it(`accepts ${JSON.stringify(sql)}`, () => assert.deepStrictEqual(checkReadOnly(sql), Either.right(sql)))
  }

  const refused = [
    ["insert into connections (id) values ('x')", "INSERT"],
    ["UPDATE connections SET name = 'x'", "UPDATE"],
    ["delete from connections", "DELETE"],
    ["drop table connections", "DROP"],
    ["alter table connections add column x", "ALTER"],
    ["create table x (a)", "CREATE"],
    ["attach 'other.db' as o", "ATTACH"],
    ["detach o", "DETACH"],
    ["vacuum", "VACUUM"],
    ["replace into connections (id) values ('x')", "REPLACE"],
    ["pragma user_version = 3", "PRAGMA user_version"],
    ["pragma wal_checkpoint(truncate)", "PRAGMA wal_checkpoint"],
    ["select 1; delete from connections", "one statement"],
    ["  ;  -- nothing", "empty"]
  ] as const
  for (const [sql, reason] of refused) {
    it(`refuses ${JSON.stringify(sql)}`, () => {
      const result = checkReadOnly(sql)
      assert.isTrue(Either.isLeft(result) && result.left.includes(reason), JSON.stringify(result))
    })
  }
})

describe("Statement.parameters", () => {
  it("finds named parameters outside strings and comments, and unnamed ones", () => {
    const found = parameters("select * from c where platform = :platform and tag = @tag and x = $x -- :no\n and y = ':no'")
    assert.deepStrictEqual([...found.named].sort(), ["platform", "tag", "x"])
    assert.isFalse(found.unnamed)
    assert.isTrue(parameters("select ?").unnamed)
  })
})
