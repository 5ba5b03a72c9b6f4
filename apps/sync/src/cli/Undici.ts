import type * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as UndiciModule from "undici"

/** Node's HTTP client (undici) and the platform's layer over it, imported on first use. */
export const modules = Effect.promise(() => Promise.all([import("@effect/platform-node/NodeHttpClient"), import("undici")]))

/**
 * An `HttpClient` layer over undici, made from the modules once imported: a command that reaches no
 * server (`query`, `status`, `--help`) starts without loading them, which is a fifth of its start-up.
 */
export const layer = <E>(
  make: (nodeHttpClient: typeof NodeHttpClient, undici: typeof UndiciModule) => Layer.Layer<HttpClient.HttpClient, E>
): Layer.Layer<HttpClient.HttpClient, E> => Layer.unwrapEffect(Effect.map(modules, ([nodeHttpClient, undici]) => make(nodeHttpClient, undici)))

/** Plain undici, no proxy. */
export const plain: Layer.Layer<HttpClient.HttpClient> = layer((nodeHttpClient) => nodeHttpClient.layerUndici)
