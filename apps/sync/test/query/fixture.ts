import { MockPica } from "@picasync/mock"
import { Effect } from "effect"
import { type Database, sync, tempDatabase } from "../harness.js"

const base = {
  platformVersion: "1.0.0",
  type: "api",
  version: "1.0.0",
  description: "A platform",
  identityType: "user"
}

/** Connections chosen for awkward values: commas, quotes, line breaks, unicode, NULL, an older row. */
export const fixtureRows = [
  {
    ...base,
    id: "a0000000-0000-4000-8000-000000000001",
    key: "live::stripe::default::00000000000000000000000000000001",
    environment: "live",
    platform: "stripe",
    identity: "acct_1",
    name: "Acme, Inc.",
    state: "operational",
    tags: ["eu", "billing"],
    active: true,
    createdAt: "2025-07-19T16:19:29.702632Z"
  },
  {
    ...base,
    id: "a0000000-0000-4000-8000-000000000002",
    key: "test::stripe::default::00000000000000000000000000000002",
    environment: "test",
    platform: "stripe",
    identity: "acct_2",
    name: "She said \"hi\"\nthen left",
    state: "failed",
    tags: ["billing"],
    active: true,
    createdAt: "2025-06-01T08:00:00.000000Z"
  },
  {
    ...base,
    id: "a0000000-0000-4000-8000-000000000003",
    key: "live::slack::default::00000000000000000000000000000003",
    environment: "live",
    platform: "slack",
    identity: "T3",
    name: "Zürich 東京",
    state: "degraded",
    tags: [],
    active: false,
    createdAt: "2025-05-01T08:00:00.000000Z"
  },
  {
    ...base,
    id: "a0000000-0000-4000-8000-000000000004",
    key: "live::gmail::default::00000000000000000000000000000004",
    environment: "live",
    platform: "gmail",
    identity: "u4",
    active: true,
    createdAt: "2025-04-01T08:00:00.000000Z"
  },
  {
    ...base,
    id: "a0000000-0000-4000-8000-000000000005",
    key: "live::notion::default::00000000000000000000000000000005",
    environment: "live",
    platform: "notion",
    identity: "u5",
    name: null,
    state: "unknown",
    tags: ["eu"],
    active: true,
    createdAt: "2025-03-01T08:00:00.000000Z"
  }
] as const

export const [acme, quoted, unicode, older, notion] = fixtureRows.map((row) => row.id)

/**
 * A mirror of the fixture after two syncs, in `database`: the second sees Acme go from operational
 * to failed, Notion deleted, and a new Linear connection.
 */
export const fixtureMirrorIn = (database: Database) => Effect.gen(function*() {
  const mock = yield* MockPica.start({ count: 0 })
  for (const row of fixtureRows) yield* Effect.orDie(mock.insert(row, { verbatim: true }))
  const url = yield* database
  yield* sync({ mock, url })
  yield* Effect.orDie(mock.update(acme!, { state: "failed" }))
  yield* Effect.orDie(mock.remove(notion!))
  yield* Effect.orDie(mock.insert({
    ...base,
    id: "a0000000-0000-4000-8000-000000000006",
    key: "live::linear::default::00000000000000000000000000000006",
    environment: "live",
    platform: "linear",
    identity: "u6",
    name: "Linear",
    state: "operational",
    tags: ["eu"],
    active: true,
    createdAt: "2025-08-01T08:00:00.000000Z"
  }, { verbatim: true }))
  yield* sync({ mock, url })
  return { mock, url }
})

/** The fixture's mirror in a local file. */
export const fixtureMirror = fixtureMirrorIn(tempDatabase)
