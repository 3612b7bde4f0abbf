import { expect, test as base } from '@playwright/test'
import { startCoverageLink, type CoverageLink } from './coverage-link'
import { Courier } from './courier'
import { demoRoute, type DemoOrder } from './demo-route'
import { startBackend, startSandboxBackend, startTerminal, type Running, type SandboxBackend } from './processes'

interface Fixtures {
  backend: Running & { url: string; dir: string }
  terminal: Running & { url: string; dir: string }
  /** A backend with the sandbox acquirer and the demo seed. */
  sandbox: SandboxBackend
  /** The terminal's link to `sandbox`: tests cut coverage here. */
  link: CoverageLink
  /** A terminal on `sandbox` through `link`. */
  fieldTerminal: Running & { url: string; dir: string }
  /** A courier on `fieldTerminal`, logged in as SZ1001 with today's route on the scan screen. */
  courier: Courier
  route: DemoOrder[]
  /**
   * Every request the page made that would leave 127.0.0.1 (and every load the CSP refused), checked empty after
   * each test: the terminal fetches nothing from the network, whatever a library's CSS or script names.
   */
  offsite: string[]
}

/** Each test gets its own backend (fresh database) and its own terminal (fresh data folder). */
export const test = base.extend<Fixtures>({
  offsite: [
    async ({ page }, use) => {
      const offsite: string[] = []
      const check = (url: string): void => {
        if (/^(?:data|blob):/.test(url)) return
        if (new URL(url).hostname !== '127.0.0.1') offsite.push(url)
      }
      page.on('request', (request) => check(request.url()))
      page.on('websocket', (socket) => check(socket.url()))
      page.on('console', (message) => {
        if (/Refused to (?:load|connect|apply)/.test(message.text())) offsite.push(message.text())
      })
      await use(offsite)
      expect(offsite, 'requests that would leave 127.0.0.1').toEqual([])
    },
    { auto: true },
  ],
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
  // eslint-disable-next-line no-empty-pattern
  sandbox: async ({}, use) => {
    const sandbox = await startSandboxBackend()
    await use(sandbox)
    await sandbox.stop()
  },
  link: async ({ sandbox }, use) => {
    const link = await startCoverageLink(sandbox.url)
    await use(link)
    await link.close()
  },
  fieldTerminal: async ({ link }, use) => {
    const terminal = await startTerminal(link.url)
    await use(terminal)
    await terminal.stop()
  },
  route: async ({ sandbox }, use) => {
    await use(demoRoute(sandbox.routeDate))
  },
  // `offsite` first, so the guard is on the page before it loads anything.
  courier: async ({ page, fieldTerminal, sandbox, offsite: _offsite }, use) => {
    await page.goto(fieldTerminal.url)
    const courier = new Courier(page)
    await courier.startShift(sandbox.enrollmentCode)
    await use(courier)
  },
})

export { expect }
