export * from "./Connection.js"
export { ConnectionFromWire, ConnectionsPage, read as readConnectionsPage, UnreadableRow } from "./ConnectionsPage.js"
export * from "./Connector.js"
export * from "./Page.js"
export * from "./Pagination.js"
export * from "./PicaError.js"
export {
  DEFAULT_AUTH_HEADER,
  DEFAULT_BASE_URL,
  type Options as PicaClientOptions,
  PicaClient,
  type Service as PicaClientService
} from "./PicaClient.js"
export * from "./QueryParams.js"
export * as RateLimit from "./RateLimit.js"
export * as Retry from "./Retry.js"
export * as TieRescan from "./TieRescan.js"
export * from "./Unrecognized.js"
export * as UrlCredentials from "./UrlCredentials.js"
