import { mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

export default mergeConfig(shared, {
  // The CLI tests run the bin as users get it, built once per run from the sources.
  test: { globalSetup: ["test/globalSetup.ts"] }
})
