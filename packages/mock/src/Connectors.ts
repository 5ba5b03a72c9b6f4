import * as Page from "./Page.js"
import * as Platforms from "./Platforms.js"

/** An entry of `GET /v1/available-connectors`. */
export interface Connector {
  readonly id: number
  readonly name: string
  readonly key: string
  readonly platform: string
  readonly platformVersion: string
  readonly status: "generally_available" | "beta" | "alpha" | "not_available"
  readonly description: string
  readonly category: string
  readonly image: string
  readonly tags: ReadonlyArray<string>
  readonly oauth: boolean
  readonly tools: number
  readonly version: string
  readonly active: boolean
}

/** `undefined` means "not filtered". `authkit` matches connectors connected through OAuth. */
export interface ConnectorFilter {
  readonly platform: string | undefined
  readonly keys: ReadonlySet<string> | undefined
  readonly name: string | undefined
  readonly category: string | undefined
  readonly authkit: boolean | undefined
}

const statusOf = (index: number): Connector["status"] =>
  index % 11 === 9 ? "beta" : index % 13 === 12 ? "alpha" : index === Platforms.all.length - 1 ? "not_available" : "generally_available"

/** The fixed catalogue, one connector a platform, in `id` order. */
export const catalogue: ReadonlyArray<Connector> = Platforms.all.map((platform, index) => {
  const status = statusOf(index)
  return {
    id: index + 1,
    name: platform.title,
    key: `api::${platform.platform}::v1`,
    platform: platform.platform,
    platformVersion: platform.platformVersion,
    status,
    description: platform.description,
    category: platform.category,
    image: `https://assets.picaos.com/connectors/${platform.platform}.svg`,
    tags: [platform.category.toLowerCase()],
    oauth: platform.oauth,
    tools: 3 + ((index * 7) % 40),
    version: "1.0.0",
    active: status !== "not_available"
  }
})

export const matches = (connector: Connector, filter: ConnectorFilter): boolean =>
  (filter.platform === undefined || connector.platform === filter.platform) &&
  (filter.keys === undefined || filter.keys.has(connector.key)) &&
  (filter.name === undefined || connector.name === filter.name) &&
  (filter.category === undefined || connector.category === filter.category) &&
  (filter.authkit === undefined || connector.oauth === filter.authkit)

export const list = (filter: ConnectorFilter, offset: number, limit: number): Page.Page<Connector> =>
  Page.select(catalogue, (connector) => matches(connector, filter), offset, limit)
