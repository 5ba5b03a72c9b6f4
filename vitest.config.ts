import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Most test files wait on servers and child processes, not on this process's CPU: three at once on two cores.
    maxWorkers: 3,
    minWorkers: 1
  }
})
