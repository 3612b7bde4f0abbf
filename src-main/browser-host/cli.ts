import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { TuotouError } from '../../shared/errors'
import { ensureBuilt, findElectron, openAppWindow, RENDERER_DIR, ROOT } from '../../scripts/launch'
import { createDeviceCore } from '../core'
import { startBrowserHost } from './server'

const USAGE = 'usage: npm run terminal -- [--backend URL] [--browser] [--port N] [--data DIR] [--no-open]'

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({
    options: {
      backend: { type: 'string' },
      browser: { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      data: { type: 'string' },
      'no-open': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
}
if (parsed.help) {
  console.log(USAGE)
  process.exit(0)
}
const port = Number(parsed.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not "${parsed.port}"`)
if (parsed.backend !== undefined) {
  try {
    new URL(parsed.backend)
  } catch {
    fail(`--backend must be a URL, not "${parsed.backend}"`)
  }
}
const dataDir = resolve(parsed.data ?? join(ROOT, '.data', 'terminal'))
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

ensureBuilt()

const children: ChildProcess[] = []
const electron = parsed.browser ? null : findElectron()

if (electron && electron.path !== null) {
  const args = [ROOT, `--data=${dataDir}`]
  if (parsed.backend) args.push(`--backend=${parsed.backend}`)
  const child = spawn(electron.path, args, { stdio: 'inherit' })
  children.push(child)
  console.log(`Terminal: Electron (pid ${child.pid}), data in ${dataDir}`)
  child.on('exit', (code) => process.exit(code ?? 0))
} else {
  if (electron && electron.path === null) console.log(`Electron is not available: ${electron.reason}.`)
  let core
  try {
    core = createDeviceCore({ dataDir, backendUrl: parsed.backend, host: 'browser', version })
  } catch (error) {
    // Another terminal on this data folder, or a folder the terminal cannot use: one line, and out at once.
    console.error(`The terminal cannot start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(error instanceof TuotouError && error.code === 'core.data_in_use' ? 3 : 1)
  }
  if (core.recoveredLock) {
    console.log(
      `Took over the data folder from process ${core.recoveredLock.pid}, which had stopped without closing it.`,
    )
  }
  const host = await startBrowserHost({ core, rendererDir: RENDERER_DIR, port })
  console.log(`Terminal (browser host): ${host.launchUrl}`)
  console.log(`Data in ${dataDir}. Open the URL above in Chromium; Ctrl-C stops it.`)
  if (!parsed['no-open']) {
    const window = openAppWindow(host.launchUrl, join(dataDir, 'chromium-profile'))
    if (window) children.push(window)
  }
  const stop = (): void => {
    for (const child of children) child.kill('SIGTERM')
    void host.close().finally(() => {
      core.close()
      process.exit(0)
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
