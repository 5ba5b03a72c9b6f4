import { defineConfig } from "vitest/config"

// Resolve workspace packages to their TypeScript sources, never to a stale dist/.
const conditions = ["@picasync/source"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
