import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { MockPica } from "@picasync/mock"
import { sql } from "drizzle-orm"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { MirrorDatabase } from "../db/MirrorDatabase.js"
import { PicaSync } from "../PicaSync.js"
import { render } from "../query/Format.js"
import * as Query from "../query/Query.js"
import { databaseUrl, described, wholeNumberFlag } from "./Flags.js"
import { summaryLine } from "./Output.js"
import { defaultRetry, syncLayer, type SyncSettings } from "./SyncSettings.js"
import * as Undici from "./Undici.js"

/** The demo's rows live under their own source, so it never touches a real mirror in the same file. */
const SOURCE = "demo"

const examples: ReadonlyArray<readonly [title: string, query: string]> = [
  [
    "Live connections per platform",
    `SELECT platform, count(*) AS connections, sum(active) AS active
FROM live_connections WHERE source = 'demo'
GROUP BY platform ORDER BY connections DESC LIMIT 5`
  ],
  [
    "Connections that need attention",
    `SELECT state, active, count(*) AS connections
FROM unhealthy_connections WHERE source = 'demo'
GROUP BY state, active ORDER BY connections DESC`
  ],
  [
    "Went from operational to failed",
    `SELECT observed_at, platform, environment, old_state, new_state
FROM state_changes WHERE source = 'demo' AND old_state = 'operational' AND new_state = 'failed'`
  ],
  [
    "Tagged 'billing', through connection_tags",
    `SELECT c.platform, c.name, c.tags
FROM connection_tags t JOIN live_connections c ON c.source = t.source AND c.id = t.connection_id
WHERE t.source = 'demo' AND t.tag = 'billing' LIMIT 3`
  ],
  [
    "Older-shape rows and fields the client does not know, kept whole in raw",
    `SELECT sum(state IS NULL) AS older_shape, sum(raw ->> '$.legacyRef' IS NOT NULL) AS with_legacy_ref
FROM connections WHERE source = 'demo' AND deleted_at IS NULL`
  ],
  [
    "The run log",
    `SELECT id, status, rows_fetched, inserted, updated, unchanged, deleted, restored, drift_detected
FROM sync_runs WHERE source = 'demo' ORDER BY id`
  ]
]

const changesOfRun = `SELECT kind, connection_id, platform, changed_fields FROM recent_changes
  WHERE run_id = :run ORDER BY kind, connection_id`

/** Starts over: the demo source's rows from an earlier demo would blur what this one shows. */
const resetDemoSource = Effect.fn("demo.reset")(function*() {
  const db = yield* MirrorDatabase
  const tables = ["connections", "connection_tags", "connection_changes", "sync_runs", "sync_locks"]
  yield* db.transaction(
    "demo reset",
    Effect.forEach(tables, (name) => db.query("demo reset", (orm) => orm.run(sql`DELETE FROM ${sql.identifier(name)} WHERE source = ${SOURCE}`)))
  )
})

/** Inserts, retags, deactivates and deletes a few connections, as users of the real API would. */
const changeTheInventory = Effect.fn("demo.changeTheInventory")(function*(mock: MockPica.MockPicaServer) {
  const active = (yield* mock.inventory).filter((row) => row.active && Array.isArray(row.tags))
  const chosen = active.slice(10, 16)
  const [retagged, deactivated, deleted] = [chosen.slice(0, 2), chosen.slice(2, 4), chosen.slice(4, 6)]
  const failed = active.filter((row) => row.state === "operational").slice(0, 2)
  const recovered = active.filter((row) => row.state === "degraded").slice(0, 1)
  yield* Effect.forEach([1, 2, 3], () => mock.insert({}))
  // Inserting leaves the rows read above as they were, their tags included.
  yield* Effect.forEach(retagged, (row) => mock.update(row.id, { tags: [...(row.tags as Array<string>), "vip"] }))
  yield* Effect.forEach(failed, (row) => mock.update(row.id, { state: "failed" }))
  yield* Effect.forEach(recovered, (row) => mock.update(row.id, { state: "operational" }))
  yield* Effect.forEach(deactivated, (row) => mock.deactivate(row.id))
  yield* Effect.forEach(deleted, (row) => mock.remove(row.id))
  yield* Console.log(
    `Changed the mock: 3 connections created, ${retagged.length} retagged, ${failed.length} failed, ${recovered.length} recovered, ` +
      `${deactivated.length} deactivated, ${deleted.length} deleted.\n`
  )
}, Effect.orDie)

const showQuery = (title: string, query: string) =>
  Effect.flatMap(Query.run(query), (result) => Console.log(`-- ${title}\n${query};\n${render(result, "table")}`))

const demo = (mock: MockPica.MockPicaServer, settings: SyncSettings) =>
  Effect.gen(function*() {
    const inventory = yield* mock.inventory
    yield* Console.log(
      `A mock Pica API is serving ${inventory.length} connections on ${mock.url} ` +
        `(${inventory.filter((row) => !row.active).length} inactive, ` +
        `${inventory.filter((row) => row.state === undefined).length} in the older shape).\n` +
        `Mirroring them into ${settings.database.url} under source "${SOURCE}".\n`
    )
    yield* resetDemoSource()
    const sync = yield* PicaSync
    yield* Console.log(`First sync:  ${summaryLine(yield* sync.run())}\n`)
    yield* changeTheInventory(mock)
    const second = yield* sync.run()
    yield* Console.log(`Second sync: ${summaryLine(second)}\n`)
    const changes = yield* Query.run(changesOfRun, { run: second.id })
    yield* Console.log(`What the second sync recorded in connection_changes:\n${render(changes, "table", { maxWidth: 90 })}`)
    yield* Effect.forEach(examples, ([title, query]) => showQuery(title, query))
    const db = settings.database.url.replace(/^file:/, "")
    yield* Console.log(
      `Explore it yourself:\n  pnpm --silent picasync tables --db ${db}\n` +
        `  pnpm --silent picasync query "select * from tag_usage order by connections desc" --db ${db}`
    )
  })

const options = {
  db: Options.text("db").pipe(
    Options.withDefault("file:picasync-demo.db"),
    described("path|URL", "Where to mirror the demo inventory (its rows go under source \"demo\")", { default: "file:picasync-demo.db" })
  ),
  count: wholeNumberFlag("count", { default: 3000, range: { min: 1 }, text: "Connections the mock serves" }),
  seed: wholeNumberFlag("seed", { default: 2025, text: "Seed of the mock's inventory" })
}

export const demoCommand = Command.make("demo", options, ({ count, db, seed }) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* databaseUrl(db)
    const mock = yield* MockPica.start({ count: yield* count, seed: yield* seed })
    const settings: SyncSettings = {
      secretKey: Redacted.make(mock.secret),
      baseUrl: mock.url,
      authHeader: mock.authHeader,
      database: { url },
      sync: { source: SOURCE, concurrency: 4, pageSize: 100, wait: false },
      retry: defaultRetry
    }
    // The mock is on this machine: never through a proxy the environment may name.
    yield* Effect.provide(demo(mock, settings), syncLayer(settings, Undici.plain))
  }))).pipe(
    Command.withDescription("Start a mock Pica API in-process, sync it, change it, sync again and show what changed")
  )
