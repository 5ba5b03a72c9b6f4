// @ts-expect-error: the build script is plain JavaScript, without types.
import { buildCli } from "../bundle.mjs"
import { testCliDirectory } from "./cliBundle.js"

/** Builds the CLI once per test run, as `pnpm build` does, so each CLI test starts the bin users run. */
export default async function setup() {
  await buildCli(testCliDirectory)
}
