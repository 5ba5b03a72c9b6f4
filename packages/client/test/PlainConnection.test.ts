import { assert, describe, it } from "@effect/vitest"
import { Generator } from "@picasync/mock"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Connection } from "../src/Connection.js"
import * as PlainConnection from "../src/PlainConnection.js"

const decode = Schema.decodeUnknownEither(Connection)

/** The fast path never accepts what the schema refuses, and what it accepts equals what the schema returns. */
const agrees = (row: unknown) => {
  if (!PlainConnection.isPlainConnection(row)) return
  const decoded = decode(row)
  assert.isTrue(Either.isRight(decoded), `accepted a row the schema refuses: ${JSON.stringify(row)}`)
  assert.deepStrictEqual<unknown>(row, Either.getOrThrow(decoded))
}

describe("PlainConnection", () => {
  // The mock's inventory has every shape the server sends: older rows, unknown fields, null fields.
  const rows = JSON.parse(JSON.stringify(Generator.generate(7, 2000))) as Array<Record<string, unknown>>

  it("accepts the rows the server sends, with the content the schema decodes", () => {
    for (const row of rows) {
      assert.isTrue(PlainConnection.isPlainConnection(row), JSON.stringify(row))
      agrees(row)
    }
  })

  it("leaves every malformed field to the schema", () => {
    const fields = Object.keys(rows[0]!)
    const wrong: ReadonlyArray<unknown> = [undefined, null, "", 0, 1.5, true, [], {}, ["a", 1], "x"]
    for (const field of [...fields, "tags", "name", "identity"]) {
      for (const value of wrong) {
        const row: Record<string, unknown> = { ...rows[0]!, [field]: value }
        if (value === undefined) delete row[field]
        agrees(row)
      }
    }
    for (const row of [null, [], {}, "row", 1]) agrees(row)
  })
})
