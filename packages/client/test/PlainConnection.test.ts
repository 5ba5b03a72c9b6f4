import { assert, describe, it } from "@effect/vitest"
import { Inventory } from "@picasync/mock"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ConnectionsPage } from "../src/Connection.js"
import * as PlainConnection from "../src/PlainConnection.js"

const decode = Schema.decodeUnknownEither(ConnectionsPage)
const pageOf = (rows: ReadonlyArray<unknown>) => ({ rows, total: rows.length, pages: 1, page: 1 })

/** The fast path never accepts what the schema refuses, and what it accepts equals what the schema returns. */
const agrees = (json: unknown) => {
  const plain = PlainConnection.connectionsPage(json)
  if (plain === undefined) return
  const decoded = decode(json)
  assert.isTrue(Either.isRight(decoded), `accepted a page the schema refuses: ${JSON.stringify(json)}`)
  assert.deepStrictEqual<unknown>(plain, Either.getOrThrow(decoded))
}

describe("PlainConnection", () => {
  // The mock's inventory has every shape the server sends: older rows, unknown fields, null names.
  const rows = JSON.parse(JSON.stringify(Inventory.generate(7, 2000))) as Array<Record<string, unknown>>

  it("accepts the pages the server sends, with the content the schema decodes", () => {
    for (let start = 0; start < rows.length; start += 100) {
      const json = { ...pageOf(rows.slice(start, start + 100)), type: "Vault Connections" }
      assert.isDefined(PlainConnection.connectionsPage(json))
      agrees(json)
    }
  })

  it("leaves every malformed field to the schema", () => {
    const fields = Object.keys(rows[0]!)
    const wrong: ReadonlyArray<unknown> = [undefined, null, "", 0, 1.5, true, [], {}, ["a", 1], "x"]
    for (const field of [...fields, "tags", "name", "identity"]) {
      for (const value of wrong) {
        const row: Record<string, unknown> = { ...rows[0]!, [field]: value }
        if (value === undefined) delete row[field]
        agrees(pageOf([row]))
      }
    }
    for (const envelope of [null, [], {}, { rows: [] }, { ...pageOf([]), total: -1 }, { ...pageOf([]), pages: 1.5 }, pageOf([null])]) {
      agrees(envelope)
    }
  })
})
