import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import * as Page from "../src/Page.js"

const same = (a: number, b: number) => a === b

describe("Page", () => {
  it("a scan with a predicate selects what a slice of the matching items selects, tied neighbours included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 60 }).map((items) => items.sort((a, b) => b - a)),
        fc.nat(40),
        fc.integer({ min: 1, max: 15 }),
        fc.boolean(),
        (items, offset, limit, tiesAsked) => {
          const keep = (item: number) => item % 3 !== 0
          const tied = tiesAsked ? same : undefined
          const scanned = Page.select(items, keep, offset, limit, tied)
          assert.deepStrictEqual(scanned, Page.select(items.filter(keep), undefined, offset, limit, tied))
          if (scanned.rows.length > 0 && tied !== undefined) {
            // Exactly the run of the first row before the page, of the last row after it.
            const matching = items.filter(keep)
            assert.deepStrictEqual(scanned.before, matching.slice(0, offset).filter((item) => item === scanned.rows[0]))
            const end = offset + scanned.rows.length
            assert.deepStrictEqual(scanned.after, matching.slice(end).filter((item) => item === scanned.rows.at(-1)))
          } else {
            assert.deepStrictEqual([scanned.before, scanned.after], [[], []])
          }
        }
      ),
      { numRuns: 500 }
    )
  })
})
