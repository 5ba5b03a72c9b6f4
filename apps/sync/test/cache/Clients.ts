import { NodeHttpClient } from "@effect/platform-node"
import { PicaClient } from "@picasync/client"
import type { MockPica } from "@picasync/mock"
import { Context, Effect, Layer, Redacted } from "effect"

/** The live client against `mock`: no retries, so a request the test did not expect shows at once. */
export const liveClient = (mock: MockPica.MockPicaServer, secret = mock.secret) =>
  PicaClient.layer({ secretKey: Redacted.make(secret), baseUrl: mock.url, maxRetries: 0 }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** The service a layer provides, alive as long as the scope. */
export const serviceOf = <E, R>(layer: Layer.Layer<PicaClient, E, R>) => Effect.map(Layer.build(layer), Context.get(PicaClient))
