import type * as Compat from "./Compat.js"
import type * as Faults from "./Faults.js"
import type * as Inventory from "./Inventory.js"
import type * as Limiter from "./Limiter.js"
import type * as PageCap from "./PageCap.js"
import type * as RequestLog from "./RequestLog.js"

export interface Config {
  readonly secret: string
  /** Lowercase, as Node presents request headers. */
  readonly authHeader: string
  /** Add `"type": "Vault Connections"` to listing envelopes, as older responses did. */
  readonly legacyEnvelope: boolean
  /** Of the three rate-limit headers, e.g. `x-pica-` or `x-one-`. */
  readonly rateLimitHeaderPrefix: string
}

/** Everything a request can read or change. */
export interface State {
  readonly config: Config
  readonly inventory: Inventory.Inventory
  readonly faults: Faults.FaultEngine
  readonly limiter: Limiter.FixedWindows
  /** Switchable at runtime, so one server can play an older deployment within a test. */
  compat: Compat.Settings
  /** Switchable at runtime, so a test can change the cap between two syncs. */
  pageCap: PageCap.Settings
  readonly log: RequestLog.RequestLog
}
