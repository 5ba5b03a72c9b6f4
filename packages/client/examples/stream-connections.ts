import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { PicaClient } from "@picasync/client"
import { Console, Effect, Layer, Stream } from "effect"

// Streams every connection (4 pages in flight, emitted in order) and handles two failures by tag.
export const program = Effect.gen(function*() {
  const pica = yield* PicaClient
  const count = yield* pica.streamConnections({ active: true }, { concurrency: 4 }).pipe(
    Stream.tap((c) => Console.log(`${(c.platform ?? "-").padEnd(12)} ${(c.state ?? "-").padEnd(12)} ${c.key}`)),
    Stream.runCount
  )
  yield* Console.log(`${count} active connections`)
}).pipe(
  Effect.catchTags({
    PicaRateLimitError: (error) => Console.error(`Rate limited, try again later: ${error.message}`),
    PicaAuthError: (error) => Console.error(`Not authorised: ${error.message}`)
  })
)

// PICA_SECRET_KEY, PICA_BASE_URL and PICA_AUTH_HEADER come from the environment.
export const PicaLive = PicaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))

if (import.meta.url === `file://${process.argv[1]}`) {
  program.pipe(Effect.provide(PicaLive), NodeRuntime.runMain)
}
