import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ConnectionsPage } from "../src/ConnectionsPage.js"
import * as TieRescan from "../src/TieRescan.js"

/** Page `page` of `pages`, its rows given as `id@createdAt`, in server order. */
const listed = (page: number, pages: number, rows: ReadonlyArray<string>): ConnectionsPage => ({
  rows: rows.map((row) => {
    const [id, createdAt] = row.split("@")
    return { id: id!, key: `test::stripe::default::${id}`, createdAt: createdAt! }
  }),
  unreadable: [],
  total: pages * rows.length,
  pages,
  page
})

/** A rescan whose re-reads answer from `answers` (page → successive answers, the last repeated), counted. */
const scripted = (answers: Record<number, ReadonlyArray<ConnectionsPage>>) => {
  const reads: Array<number> = []
  const rescan = TieRescan.make((page) =>
    Effect.sync(() => {
      const script = answers[page]!
      return script[Math.min(reads.filter((read) => read === page).length, script.length - 1)]!
    }).pipe(Effect.tap(() => reads.push(page))), { concurrency: 2 })
  return { rescan, reads }
}

/** Feeds the pages in order, then ends the listing: every row the re-reads found. */
const feed = (rescan: TieRescan.TieRescan<never, never>, pages: ReadonlyArray<ConnectionsPage>) =>
  Effect.map(
    Effect.zipWith(Effect.forEach(pages, rescan.next), rescan.end, (each, last) => [...each.flat(), ...last]),
    (rows) => rows.map((row) => row.id)
  )

describe("TieRescan", () => {
  it.effect("a boundary between two createdAt values, or a group that ends with its page, re-reads nothing", () =>
    Effect.gen(function*() {
      const { reads, rescan } = scripted({})
      const found = yield* feed(rescan, [
        listed(1, 3, ["a@3", "b@2", "c@2"]),
        listed(2, 3, ["d@1", "e@1", "f@0"]),
        listed(3, 3, ["g@0"])
      ])
      assert.deepStrictEqual(found, [])
      // Page 2 ends in f@0 and page 3 starts with g@0: a group, but every member showed (2 places, 2 rows).
      assert.deepStrictEqual(reads, [])
    }))

  it.effect("a member of a group shown on neither page is found by re-reading both until the group is whole", () =>
    Effect.gen(function*() {
      // Four places for the group at createdAt 5: g3 is on neither page the first time.
      const first = [listed(1, 2, ["x@9", "g1@5", "g2@5"]), listed(2, 2, ["g1@5", "g4@5", "y@1"])]
      const { reads, rescan } = scripted({
        1: [listed(1, 2, ["x@9", "g2@5", "g4@5"]), listed(1, 2, ["x@9", "g3@5", "g4@5"])],
        2: [listed(2, 2, ["g1@5", "g2@5", "y@1"])]
      })
      assert.deepStrictEqual(yield* feed(rescan, first), ["g3"])
      assert.deepStrictEqual([...reads].sort(), [1, 1, 2, 2], "two rounds of both pages, then the group is whole")
    }))

  it.effect("a group over three pages, the last all of it, is settled when the listing ends", () =>
    Effect.gen(function*() {
      const first = [listed(1, 3, ["x@9", "g1@5"]), listed(2, 3, ["g1@5", "g2@5"]), listed(3, 3, ["g2@5", "g4@5"])]
      const { reads, rescan } = scripted({
        1: [listed(1, 3, ["x@9", "g3@5"])],
        2: [listed(2, 3, ["g5@5", "g1@5"])],
        3: [listed(3, 3, ["g4@5", "g2@5"])]
      })
      // Five places for the group: g3 and g5 are on no page the first time.
      assert.deepStrictEqual(yield* feed(rescan, first), ["g3", "g5"])
      assert.deepStrictEqual([...reads].sort(), [1, 2, 3])
    }))

  it.effect("a server that orders a tie the same way every time: the rescan gives up once the group stops changing", () =>
    Effect.gen(function*() {
      const first = [listed(1, 2, ["g1@5", "g2@5"]), listed(2, 2, ["g1@5", "g2@5"])]
      const { reads, rescan } = scripted({ 1: [first[0]!], 2: [first[1]!] })
      assert.deepStrictEqual(yield* feed(rescan, first), [])
      assert.strictEqual(reads.length, 2 * TieRescan.STALLED_ROUNDS)
    }))
})
