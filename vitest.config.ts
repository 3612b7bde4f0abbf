import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['{shared,src-main,src-renderer,backend,scripts,bench,e2e}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The PostgreSQL suites' server: TUOTOU_TEST_PG_URL, or an embedded one started for the run.
    globalSetup: ['backend/testing/postgres-global-setup.ts'],
    // Background work (acquirer notifications, settlement) is awaited with expect.poll; on a busy 2-core
    // machine a second is not always enough, and waiting longer costs nothing when it is.
    expect: { poll: { timeout: 5_000 } },
  },
})
