// The sync cache (issue 22): `listConnections` with each filter from a synced mirror (median of LIST_RUNS after
// a warm-up), and a full `streamConnections()` from it beside the same stream from the mock at zero latency,
// each after a warm-up pass. Plain Node over the built packages.
// `node cache.mjs <mirror url> <passes>` with PICA_BASE_URL, PICA_SECRET_KEY; prints one JSON line.
import { NodeHttpClient } from "@effect/platform-node"
import { PicaClient } from "@picasync/client"
import { MirrorDatabase, MirrorPicaClient } from "@picasync/sync"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

const url = process.argv[2]
const passes = Number(process.argv[3] ?? 3)
const LIST_RUNS = 50
const filters = [
  { platform: "stripe", limit: 100 },
  { platform: "stripe", limit: 100, page: 20 },
  { identityType: "team", active: false, limit: 100 },
  { tags: ["billing"], limit: 100 },
  { limit: 100 }
]

const timed = async (effect) => {
  const start = performance.now()
  const value = await Effect.runPromise(effect)
  return { value, ms: performance.now() - start }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const scope = Effect.runSync(Scope.make())
const service = (layer) => Effect.runPromise(Scope.extend(Effect.map(Layer.build(layer), Context.get(PicaClient)), scope))
const cached = await service(MirrorPicaClient.layer().pipe(Layer.provide(MirrorDatabase.layer({ url }))))
const live = await service(PicaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici)))

const lists = []
for (const params of filters) {
  const { value: page } = await timed(cached.listConnections(params))
  const times = []
  for (let run = 0; run < LIST_RUNS; run++) times.push((await timed(cached.listConnections(params))).ms)
  lists.push({ params, total: page.total, ms: median(times) })
}

const streams = { mirror: [], live1: [], live4: [] }
const count = (client, concurrency) => Stream.runCount(client.streamConnections(undefined, { concurrency }))
const runs = { mirror: count(cached, 1), live1: count(live, 1), live4: count(live, 4) }
for (const run of Object.values(runs)) await timed(run)
// Interleaved, so a change in the machine's load reaches all three alike.
for (let pass = 0; pass < passes; pass++) {
  for (const [name, run] of Object.entries(runs)) {
    const { value: rows, ms } = await timed(run)
    streams[name].push({ rows, ms })
  }
}
await Effect.runPromise(Scope.close(scope, Exit.void))
console.log(JSON.stringify({ lists, streams }))
