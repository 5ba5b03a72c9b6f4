/**
 * The sync cache's speed (issue 22): from a 100,000-connection mirror, `listConnections({ limit: 100 })`
 * with a filter (median), and a full `streamConnections()` beside the same stream from the mock at zero
 * latency. The mock runs in its own process, so its CPU is never counted as the client's.
 *
 * tsx --conditions=@picasync/source bench/cache.ts [--count N], from the repository root
 */
import { NodeHttpClient } from "@effect/platform-node"
import { type ListConnectionsParams, PicaClient, type PicaClientService } from "@picasync/client"
import { Context, Duration, Effect, Layer, Redacted, Stream } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { MirrorDatabase } from "../apps/sync/src/db/MirrorDatabase.js"
import * as MirrorMigrations from "../apps/sync/src/db/MirrorMigrations.js"
import * as MirrorPicaClient from "../apps/sync/src/MirrorPicaClient.js"
import { PicaSync } from "../apps/sync/src/PicaSync.js"

const countAt = process.argv.indexOf("--count")
const COUNT = countAt === -1 ? 100_000 : Number(process.argv[countAt + 1])
const LIST_RUNS = 50
const STREAM_RUNS = 3
const secret = "sk_test_mock_0000000000000000"
const root = fileURLToPath(new URL("../", import.meta.url))
const work = fs.mkdtempSync(path.join(os.tmpdir(), "picasync-cache-bench-"))

/** The mock in its own process, with no limiter and no latency; stopped with the scope. */
const mockProcess = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly stop: () => void }>((resume) => {
    const bin = path.join(root, "packages/mock/src/bin.ts")
    const child = spawn(process.execPath, ["--import", "tsx", bin, "--port", "0", "--count", String(COUNT), "--no-limiter"], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url !== undefined) resume(Effect.succeed({ url, stop: () => child.kill("SIGKILL") }))
    })
  }),
  (mock) => Effect.sync(mock.stop)
)

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.timed(effect), ([duration, value]) => ({ ms: Duration.toMillis(duration), value }))

/** Median milliseconds of `runs` runs after one warm-up. */
const medianOf = <A, E>(runs: number, effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    yield* effect
    const times: Array<number> = []
    for (let i = 0; i < runs; i++) times.push((yield* timed(effect)).ms)
    return median(times)
  })

const program = Effect.gen(function*() {
  const mock = yield* mockProcess
  const live = PicaClient.layer({ secretKey: Redacted.make(secret), baseUrl: mock.url }).pipe(Layer.provide(NodeHttpClient.layerUndici))
  const mirror = Layer.succeedContext(yield* Layer.build(
    MirrorMigrations.layer({ folder: MirrorMigrations.packagedFolder }).pipe(
      Layer.provideMerge(MirrorDatabase.layer({ url: `file:${path.join(work, "mirror.db")}` }))
    )
  ))
  const engine = Context.get(yield* Layer.build(PicaSync.layer({ source: "test" }).pipe(Layer.provide(Layer.merge(live, mirror)))), PicaSync)
  const synced = yield* timed(engine.run())
  console.log(`sync of ${synced.value.inserted} connections: ${(synced.ms / 1000).toFixed(2)} s`)

  const cached = Context.get(yield* Layer.build(MirrorPicaClient.layer().pipe(Layer.provide(mirror))), PicaClient)
  const api = Context.get(yield* Layer.build(live), PicaClient)

  const filters: ReadonlyArray<ListConnectionsParams> = [
    { platform: "stripe", limit: 100 },
    { platform: "stripe", limit: 100, page: 20 },
    { tags: ["billing"], limit: 100 },
    { identityType: "team", active: false, limit: 100 },
    { limit: 100 }
  ]
  for (const params of filters) {
    const ms = yield* medianOf(LIST_RUNS, cached.listConnections(params))
    const { total } = yield* cached.listConnections(params)
    console.log(`listConnections(${JSON.stringify(params)}) from the mirror: median ${ms.toFixed(2)} ms (${total} match)`)
  }

  const count = (client: PicaClientService, concurrency: number) => Stream.runCount(client.streamConnections(undefined, { concurrency }))
  const rows = yield* count(cached, 1)
  const fromMirror = yield* medianOf(STREAM_RUNS, count(cached, 1))
  const fromMock1 = yield* medianOf(STREAM_RUNS, count(api, 1))
  const fromMock4 = yield* medianOf(STREAM_RUNS, count(api, 4))
  console.log(`streamConnections(), ${rows} rows: mirror ${fromMirror.toFixed(0)} ms; mock at zero latency ${fromMock1.toFixed(0)} ms (concurrency 1), ${
    fromMock4.toFixed(0)
  } ms (concurrency 4): ${(fromMock1 / fromMirror).toFixed(1)}x and ${(fromMock4 / fromMirror).toFixed(1)}x faster`)
})

Effect.runPromise(Effect.scoped(program)).finally(() => fs.rmSync(work, { recursive: true, force: true }))
