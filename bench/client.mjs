// Client alone: `streamConnections` over both listings, rows decoded per second, after a warm-up pass;
// beside it, the same pages with bare `fetch` + `JSON.parse` (no validation). Plain Node over the built client.
// `node client.mjs <concurrency> <passes>` with PICA_BASE_URL, PICA_SECRET_KEY; prints one JSON line.
import { NodeHttpClient } from "@effect/platform-node"
import { PicaClient } from "@picasync/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const concurrency = Number(process.argv[2] ?? 1)
const passes = Number(process.argv[3] ?? 3)
const baseUrl = process.env.PICA_BASE_URL
const secret = process.env.PICA_SECRET_KEY
const listings = [true, false]

const layer = PicaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
const streamAll = Effect.flatMap(PicaClient, (client) =>
  Effect.reduce(listings, 0, (rows, active) =>
    Effect.map(Stream.runCount(client.streamConnections({ active }, { concurrency })), (count) => rows + count)))

/** The same pages, fetched `concurrency` at a time with `fetch` and parsed, nothing else. */
const bare = async () => {
  let rows = 0
  for (const active of listings) {
    const page = (n) =>
      fetch(`${baseUrl}/v1/vault/connections?active=${active}&limit=100&page=${n}`, { headers: { "x-pica-secret": secret } })
        .then((response) => response.text()).then((body) => JSON.parse(body))
    const first = await page(1)
    rows += first.rows.length
    let next = 2
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next <= first.pages) {
        const { rows: got } = await page(next++)
        rows += got.length
      }
    }))
  }
  return rows
}

const timed = async (run) => {
  const start = performance.now()
  const rows = await run()
  return { rows, ms: performance.now() - start }
}

const client = () => Effect.runPromise(Effect.provide(streamAll, layer))
const results = { client: [], bare: [] }
await timed(client)
await timed(bare)
for (let pass = 0; pass < passes; pass++) {
  results.client.push(await timed(client))
  results.bare.push(await timed(bare))
}
console.log(JSON.stringify(results))
