/**
 * `npm start`: the whole thing on one machine. It starts the backend on a SQLite file under `.data/` with the
 * demo seed and the sandbox acquirer (and prints the wallet page's and the depot dashboard's addresses, the demo
 * logins and a fresh enrollment code), then the terminal: in Electron when a binary is installed, otherwise through the browser
 * host (and says so). Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { ensureBuilt, ROOT } from './launch'

const BACKEND_PORT = process.env.TUOTOU_BACKEND_PORT ?? '8080'
const children: ChildProcess[] = []
let stopping = false

function run(name: string, script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`))
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${name}] exited (${signal ?? code}); stopping everything`)
      stop(1)
    }
  })
  return child
}

function stop(code = 0): void {
  if (stopping) return
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 1500).unref()
  Promise.all(
    children.map((child) => new Promise((done) => (child.exitCode !== null ? done(null) : child.on('exit', done)))),
  )
    .then(() => process.exit(code))
    .catch(() => process.exit(code))
}

process.once('SIGINT', () => stop(0))
process.once('SIGTERM', () => stop(0))

ensureBuilt()
const backendUrl = `http://127.0.0.1:${BACKEND_PORT}`
const backend = run('backend', 'backend/cli.ts', [
  '--port',
  BACKEND_PORT,
  '--db',
  join(ROOT, '.data', 'backend.sqlite'),
  '--seed',
  'demo',
  '--sandbox',
])

// Start the terminal once the backend listens, so its first health check finds it.
createInterface({ input: backend.stdout! }).on('line', (line) => {
  if (line.startsWith('Wallet page: ')) {
    console.log(`\n  Customer's wallet (sandbox acquirer): ${line.slice('Wallet page: '.length)}\n`)
  }
  if (line.startsWith('Depot dashboard: ')) {
    console.log(`\n  Depot dashboard (supervisor zhang.wei / tuotou-demo): ${line.slice('Depot dashboard: '.length)}\n`)
  }
  if (line.startsWith('Backend: ') && !children.some((child) => child.spawnargs.includes('--backend'))) {
    run('terminal', 'src-main/browser-host/cli.ts', [
      '--backend',
      backendUrl,
      '--data',
      join(ROOT, '.data', 'terminal'),
    ])
  }
})
