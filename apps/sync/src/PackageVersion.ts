import * as fs from "node:fs"

/**
 * This package's version, read from its `package.json` (one level above this module in the sources, in
 * `dist/` and in the bundles alike): the one place it is written, whichever way the CLI runs.
 */
export const packageVersion = (): string =>
  JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")).version
