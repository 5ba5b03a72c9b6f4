import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** Where `globalSetup` builds the CLI for the tests: one level below the package, like `dist/`. */
export const testCliDirectory = fileURLToPath(new URL("../.test-cli", import.meta.url))

/** The bin the CLI tests run, built from the sources at the start of the run. */
export const testCliBin = join(testCliDirectory, "bin.js")

/** One V8 code cache for every CLI process of the run, as a user's home keeps one. */
export const testCliCodeCache = join(testCliDirectory, "code-cache")
