/**
 * The `PicaClient` an application already uses, answered from the mirror: `layer` offline, with no
 * network; `layerReadThrough` in front of the live client, with a freshness bound.
 */
export { type Freshness, freshness, layer, make, type Options } from "./cache/Offline.js"
export { layerReadThrough, type ReadThroughOptions } from "./cache/ReadThrough.js"
