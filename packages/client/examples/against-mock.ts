import { NodeRuntime } from "@effect/platform-node"
import { MockPica } from "@picasync/mock"
import { ConfigProvider, Effect } from "effect"
import { PicaLive, program } from "./stream-connections.js"

// Runs the README's program against a mock Pica on a free loopback port: no network, no real secret.
Effect.gen(function*() {
  const mock = yield* MockPica.start({ count: 250, seed: 7 })
  const config = ConfigProvider.fromMap(new Map([["PICA_BASE_URL", mock.url], ["PICA_SECRET_KEY", mock.secret]]))
  yield* program.pipe(Effect.provide(PicaLive), Effect.withConfigProvider(config))
}).pipe(Effect.scoped, NodeRuntime.runMain)
