import { startSqld } from "@picasync/testing/Sqld"
import { Effect, Exit, Scope } from "effect"
import { medianOf, mib, number, rate, ratio, repeat, seconds, verdict } from "../Figures.js"
import * as Mock from "../Mock.js"
import type { Report } from "../Report.js"
import { sizes } from "../Settings.js"
import { sync } from "../Sync.js"

/** The same full sync into a libSQL server on loopback, beside the local file's time measured above. */
export const teamServer = async (report: Report, localMs: number) => {
  const mock = await Mock.start(sizes.full)
  const runs = await repeat(`full sync to sqld, ${number.format(sizes.full)}`, async () => {
    // The tests' own launcher: a fresh server each run, stopped and removed with its scope.
    const scope = await Effect.runPromise(Scope.make())
    try {
      const server = await Effect.runPromise(Scope.extend(startSqld(), scope))
      return await sync(mock, server.url)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
  await Mock.stop(mock)
  const serverMs = medianOf(runs, (r) => r.ms)
  report.row(
    `8. full sync, ${number.format(sizes.full)} connections, to a libSQL server (sqld 0.24 on loopback)`,
    `${seconds(serverMs)} · ${rate(sizes.full, serverMs)} · peak RSS ${mib(medianOf(runs, (r) => r.maxRssKiB))}`,
    `the same sync to a local file (scenario 1): ${seconds(localMs)}`,
    ratio(serverMs / localMs)
  )
  report.goal(`Full sync to sqld within 2.5x of the local file: ${ratio(serverMs / localMs)}, ${verdict(serverMs / localMs <= 2.5)}`)
}
