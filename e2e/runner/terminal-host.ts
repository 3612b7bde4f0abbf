import { join } from 'node:path'
import { _electron as electron, chromium, type Browser, type ElectronApplication, type Page } from '@playwright/test'
import { CHROMIUM_FLAGS, ROOT, findChromium, findElectron } from '../../scripts/launch'
import { startTerminal, tempDir, type Running } from '../support/processes'

/** The terminal a round plays on: a page to drive, the folder holding its device store, and how to close it. */
export interface PlayedTerminal {
  page: Page
  host: 'chromium' | 'electron'
  /** The device's data folder, kept across a restart. */
  dataDir: string
  /** The device core's SQLite file, to check its outbox at the end. */
  deviceDb: string
  /** Stops the terminal with `signal` (SIGKILL: a crash) and starts it again on the same data folder. */
  restart(signal: NodeJS.Signals): Promise<PlayedTerminal>
  /** Ends the terminal's process with `signal`, as a battery dying does (SIGKILL), and closes its window. */
  kill(signal: NodeJS.Signals): Promise<void>
  close(): Promise<void>
}

export type HostChoice = 'auto' | 'electron'

/** Says which host a round will use, or why the one asked for cannot run here; nothing is started. */
export function chooseHost(
  choice: HostChoice,
): { host: 'chromium' | 'electron'; note: string; electronPath: string | null } | { error: string } {
  const found = findElectron()
  if (found.path !== null) return { host: 'electron', note: `Electron (${found.path})`, electronPath: found.path }
  if (choice === 'electron') {
    return {
      error: `--electron: ${found.reason}. Leave out --electron to play the same terminal through the browser host in Chromium.`,
    }
  }
  const chromiumPath = findChromium()
  if (!chromiumPath) return { error: 'no Electron binary and no Chromium (/usr/bin/chromium) to play the terminal in' }
  return {
    host: 'chromium',
    note: `browser host in Chromium (${chromiumPath}); Electron cannot run here: ${found.reason}`,
    electronPath: null,
  }
}

/**
 * Starts the terminal against `backendUrl` (the coverage link): in Electron through Playwright's `_electron`
 * when a binary is installed, otherwise the browser host (a real process) with the renderer in Chromium.
 * `track` receives each process as it starts, so an interrupted round can still stop it.
 */
export async function launchTerminal(options: {
  backendUrl: string
  electronPath: string | null
  headed: boolean
  track(stop: () => Promise<void>): void
  /** A data folder to start on (a restart); a fresh one when left out. */
  dataDir?: string
  /** Chromium's fake camera, allowed without asking: a round with photos. */
  camera?: boolean
}): Promise<PlayedTerminal> {
  const viewport = { width: 480, height: 854 }
  const again = (dataDir: string) => (signal: NodeJS.Signals) => async (): Promise<PlayedTerminal> => {
    await killed(signal)
    return launchTerminal({ ...options, dataDir })
  }
  let killed: (signal: NodeJS.Signals) => Promise<void> = () => Promise.resolve()
  if (options.electronPath) {
    const dataDir = options.dataDir ?? tempDir('round-electron')
    const app: ElectronApplication = await electron.launch({
      executablePath: options.electronPath,
      args: [ROOT, `--data=${dataDir}`, `--backend=${options.backendUrl}`, '--no-sandbox'],
    })
    const close = (): Promise<void> => app.close()
    options.track(close)
    // The window keeps the size the shell gives it (the handheld's 720×1280), as a courier would see it.
    const page = await app.firstWindow()
    killed = async (signal) => {
      app.process().kill(signal)
      await app.close().catch(() => undefined)
    }
    return {
      page,
      host: 'electron',
      dataDir,
      deviceDb: join(dataDir, 'device.sqlite'),
      restart: (signal) => again(dataDir)(signal)(),
      kill: (signal) => killed(signal),
      close,
    }
  }

  const terminal: Running & { url: string; dir: string } = await startTerminal(options.backendUrl, options.dataDir)
  options.track(() => terminal.stop())
  let browser: Browser | null = null
  try {
    browser = await chromium.launch({
      executablePath: findChromium() ?? undefined,
      args: options.camera
        ? [...CHROMIUM_FLAGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']
        : CHROMIUM_FLAGS,
      headless: !options.headed,
      // Playwright's own Ctrl-C handling would exit before the runner stopped the backend and the terminal.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    })
    const opened = browser
    options.track(() => opened.close())
    const page = await browser.newPage({
      viewport,
      deviceScaleFactor: 1,
      locale: 'zh-CN',
      ...(options.camera ? { permissions: ['camera'] } : {}),
    })
    await page.goto(terminal.url)
    killed = async (signal) => {
      await terminal.stop(signal)
      await opened.close().catch(() => undefined)
    }
    return {
      page,
      host: 'chromium',
      dataDir: terminal.dir,
      deviceDb: join(terminal.dir, 'device.sqlite'),
      restart: (signal) => again(terminal.dir)(signal)(),
      kill: (signal) => killed(signal),
      close: async () => {
        await opened.close()
        await terminal.stop()
      },
    }
  } catch (error) {
    await browser?.close()
    await terminal.stop()
    throw error
  }
}
