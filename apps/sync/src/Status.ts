import type { Transaction } from "@libsql/client"
import * as Effect from "effect/Effect"
import { MirrorDatabase } from "./db/MirrorDatabase.js"
import * as ReadModel from "./ReadModel.js"

export type { Count, RunSummary } from "./ReadModel.js"

export interface SourceStatus {
  readonly source: string
  readonly lastSuccess: ReadModel.RunSummary | null
  readonly lastFailure: ReadModel.RunSummary | null
  readonly live: number
  readonly active: number
  readonly inactive: number
  readonly deleted: number
  readonly byEnvironment: ReadonlyArray<ReadModel.Count>
  /** `none` counts older rows the API sent without a state. */
  readonly byState: ReadonlyArray<ReadModel.Count>
  readonly topPlatforms: ReadonlyArray<ReadModel.Count>
  /** Why the mirror may be out of date, or null when the newest successful run is recent enough. */
  readonly stale: string | null
}

/** How many platforms `status` names, the most used first. */
const topPlatforms = 5

/** "3 h", "2 d": coarse, as an operator reads it at a glance. */
export const age = (millis: number) => {
  const minutes = Math.floor(millis / 60_000)
  if (minutes < 1) return `${Math.max(0, Math.floor(millis / 1000))} s`
  if (minutes < 120) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d`
}

const sourceStatus = async (tx: Transaction, source: string, now: number, staleAfterMillis: number): Promise<SourceStatus> => {
  const lastSuccess = await ReadModel.latestRun(tx, source, ["succeeded"])
  const lastFailure = await ReadModel.latestRun(tx, source, ["failed", "interrupted"])
  const inventory = await ReadModel.inventory(tx, [source])
  const finished = lastSuccess?.finishedAt === null || lastSuccess === null ? undefined : Date.parse(lastSuccess.finishedAt)
  const stale = finished === undefined
    ? `source "${source}" has never synced successfully`
    : now - finished > staleAfterMillis
    ? `the newest successful sync of source "${source}" is ${age(now - finished)} old (more than the ${
      age(staleAfterMillis)
    } allowed)`
    : null
  return {
    source,
    lastSuccess,
    lastFailure,
    live: inventory.live,
    active: inventory.active,
    inactive: inventory.inactive,
    deleted: inventory.deleted,
    byEnvironment: inventory.byEnvironment,
    byState: inventory.byState,
    topPlatforms: inventory.byPlatform.slice(0, topPlatforms),
    stale
  }
}

/** The state of every source in the mirror, read in one read-only transaction. */
export const read = Effect.fn("Status.read")(function*(options: { readonly now: number; readonly staleAfterMillis: number }) {
  const db = yield* MirrorDatabase
  return yield* db.readOnly("status", async (tx) => {
    const statuses: Array<SourceStatus> = []
    for (const source of await ReadModel.sources(tx)) {
      statuses.push(await sourceStatus(tx, source, options.now, options.staleAfterMillis))
    }
    return statuses
  })
})
