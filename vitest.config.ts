import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Live suites share three servers; files use unique table and key names, so they may run in parallel.
    pool: "forks",
    fileParallelism: true
  }
})
