import { test as base } from '@playwright/test'
import { startBackend, startTerminal, type Running } from './processes'

interface Fixtures {
  backend: Running & { url: string; dir: string }
  terminal: Running & { url: string; dir: string }
}

/** Each test gets its own backend (fresh database) and its own terminal (fresh data folder). */
export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern
  backend: async ({}, use) => {
    const backend = await startBackend()
    await use(backend)
    await backend.stop()
  },
  terminal: async ({ backend }, use) => {
    const terminal = await startTerminal(backend.url)
    await use(terminal)
    await terminal.stop()
  },
})

export { expect } from '@playwright/test'
