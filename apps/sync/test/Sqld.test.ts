import { assert, describe, it } from "@effect/vitest"
import { createClient } from "@libsql/client"
import { Effect } from "effect"
import { rows, sqlClient, startMock, sync } from "./harness.js"
import { emptySqld, startSqld } from "./Sqld.js"

describe("startSqld", () => {
  // sqld misses the first health probe more often than not; the wait before the next must not hang on the TestClock.
  it.scoped("is up under the TestClock, however late it answers its first health probe", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10; i++) {
        const server = yield* Effect.scoped(Effect.map(startSqld(), (server) => server.url))
        assert.match(server, /^http:\/\/127\.0\.0\.1:\d+$/)
      }
    }), 20_000)
})

/** What a new database holds: nothing but, once a table had an autoincrement key, SQLite's empty `sqlite_sequence`. */
const contents = (url: string) =>
  Effect.all({
    schema: rows(url, "SELECT type, name FROM sqlite_schema WHERE name <> 'sqlite_sequence'"),
    sequences: rows(url, "SELECT name FROM sqlite_schema WHERE name = 'sqlite_sequence'").pipe(
      Effect.flatMap((tables) => tables.length === 0 ? Effect.succeed([]) : rows(url, "SELECT * FROM sqlite_sequence"))
    ),
    version: rows(url, "PRAGMA user_version")
  })

const empty = { schema: [], sequences: [], version: [{ user_version: 0 }] }

describe("emptySqld", () => {
  it.scopedLive("gives the next test the file's same server, emptied of tables, views, triggers, indexes and rows; the mirror migrates from zero", () =>
    Effect.gen(function*() {
      const mock = yield* startMock({ count: 30, seed: 2 })
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* emptySqld()
        yield* sync({ mock, url: server.url })
        // A table whose rows reference the mirror's, created after it: dropped in creation order, `connections` goes first.
        yield* Effect.scoped(Effect.flatMap(sqlClient(server.url), (client) =>
          Effect.promise(() =>
            client.executeMultiple(`
              CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT, connection_id TEXT, body TEXT,
                FOREIGN KEY (source, connection_id) REFERENCES connections (source, id));
              CREATE INDEX notes_body ON notes (body);
              CREATE VIEW note_bodies AS SELECT body FROM notes;
              CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN UPDATE notes SET body = upper(body) WHERE id = new.id; END;
              INSERT INTO notes (source, connection_id, body) SELECT source, id, name FROM connections;
              PRAGMA user_version = 3;`)
          )))
        assert.isAbove((yield* rows(server.url, "SELECT * FROM note_bodies")).length, 0)
        return server
      }))
      const second = yield* emptySqld()
      assert.strictEqual(second.url, first.url, "the file's one server")
      assert.deepStrictEqual(yield* contents(second.url), empty)
      yield* sync({ mock, url: second.url })
      assert.deepStrictEqual(yield* rows(second.url, "SELECT id FROM sync_runs"), [{ id: 1 }], "autoincrement counters start again")
      assert.deepStrictEqual(yield* rows(second.url, "SELECT count(*) AS n FROM connections"), [{ n: 30 }])
    }), 30_000)

  it.scopedLive("gives a test that already holds the file's server a server of its own", () =>
    Effect.gen(function*() {
      const held = yield* emptySqld()
      const other = yield* emptySqld()
      assert.notStrictEqual(other.url, held.url)
      assert.deepStrictEqual(yield* contents(other.url), empty)
    }), 30_000)

  it.scopedLive("empties the server even when the last test left a write transaction open on it", () =>
    Effect.gen(function*() {
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* emptySqld()
        // Never committed nor closed, as by a test that failed while it wrote.
        const left = yield* Effect.promise(() => createClient({ url: server.url }).transaction("write"))
        yield* Effect.promise(() => left.execute("CREATE TABLE half (x)"))
        return server
      }))
      const second = yield* emptySqld()
      assert.deepStrictEqual(yield* contents(second.url), empty)
      assert.isString(first.url)
    }), 30_000)
})
