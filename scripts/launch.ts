import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

/** The repository's root folder. */
export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..')
export const RENDERER_DIR = join(ROOT, 'out', 'renderer')

/** The Electron binary, or null with the reason when it is not installed (as on machines without internet). */
export function findElectron(): { path: string } | { path: null; reason: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown
    if (typeof path === 'string' && existsSync(path)) return { path }
    return { path: null, reason: 'the electron package resolved to no binary' }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return { path: null, reason: `no Electron binary (${message}); run \`npm run setup\` where it can be downloaded` }
  }
}

/** Debian's Chromium (or another Chromium-family browser), for the browser host's window and the e2e tests. */
export function findChromium(): string | null {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ]
  return candidates.find((path): path is string => !!path && existsSync(path)) ?? null
}

/** The flags this workplace's Chromium needs: no sandbox as root, and no calls home on a closed network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue
    newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

/** Builds main, preload and renderer with electron-vite when the build is missing or older than its sources. */
export function ensureBuilt(): void {
  const marker = join(RENDERER_DIR, 'terminal', 'index.html')
  const sources = ['src-renderer', 'shared', 'src-main/electron', 'resources', 'electron.vite.config.ts'].map((p) =>
    join(ROOT, p),
  )
  const built = existsSync(marker) ? statSync(marker).mtimeMs : 0
  if (built > 0 && Math.max(...sources.filter(existsSync).map(newestMtime)) <= built) return
  console.log('Building the app (electron-vite build)…')
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  if (result.status !== 0) throw new Error('electron-vite build failed')
}

/**
 * Chromium refuses to sandbox itself as root, which is how these machines run; elsewhere it keeps its sandbox.
 * `--test-type` hides the warning bar Chromium shows for `--no-sandbox`, which would cover the terminal's top.
 */
function windowFlags(): string[] {
  const asRoot = process.getuid?.() === 0
  return CHROMIUM_FLAGS.filter((flag) => asRoot || flag !== '--no-sandbox').concat(asRoot ? ['--test-type'] : [])
}

/** Opens a Chromium `--app` window on a URL when a display is there to show it. */
export function openAppWindow(url: string, profileDir: string, size = '480,854'): ChildProcess | null {
  const chromium = findChromium()
  if (!chromium || (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)) return null
  // The terminal switches languages itself; Chromium's offer to translate it would only cover the screen.
  return spawn(
    chromium,
    [
      ...windowFlags(),
      '--disable-features=Translate',
      `--app=${url}`,
      `--user-data-dir=${profileDir}`,
      `--window-size=${size}`,
    ],
    {
      stdio: 'ignore',
    },
  )
}
