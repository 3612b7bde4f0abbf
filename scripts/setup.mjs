#!/usr/bin/env node
/**
 * `npm run setup`: everything a newcomer needs, on a machine with internet or without.
 * 1. Installs dependencies from the lockfile. Electron's own download is not run by npm here
 *    (package.json's allowScripts denies it), so the install never fails on a closed network.
 * 2. Tries Electron's binary download separately; when it cannot, the terminal runs through the browser host.
 * 3. Where the binary is present, builds better-sqlite3 for Electron's ABI into .electron-native/, leaving
 *    Node's build in node_modules for the backend, the browser host and the tests.
 * 4. Installs Debian's Chromium (and CJK fonts) when missing, for the browser host's window and the e2e tests.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function step(title) {
  console.log(`\n▶ ${title}`)
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options })
  return result.status === 0
}

step('Installing dependencies from package-lock.json')
if (!run(npm, ['ci', '--no-audit', '--no-fund'])) {
  console.error('npm ci failed; see the messages above.')
  process.exit(1)
}

step('Fetching the Electron binary')
const electronDir = join(ROOT, 'node_modules', 'electron')
const electronOk = run(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, timeout: 180_000 })
const electronPath = join(electronDir, 'path.txt')
if (electronOk && existsSync(electronPath)) {
  console.log('Electron is installed; `npm start` opens the terminal in Electron.')
  step('Building better-sqlite3 for Electron')
  const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version
  const sqliteDir = join(ROOT, 'node_modules', 'better-sqlite3')
  const built = run(
    npm,
    [
      'exec',
      '--',
      'node-gyp',
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      '--dist-url=https://electronjs.org/headers',
      `--directory=${sqliteDir}`,
      `--build-from-source`,
    ],
    { env: { ...process.env, npm_config_runtime: 'electron', npm_config_nodedir: '' } },
  )
  if (built) {
    mkdirSync(join(ROOT, '.electron-native'), { recursive: true })
    copyFileSync(
      join(sqliteDir, 'build', 'Release', 'better_sqlite3.node'),
      join(ROOT, '.electron-native', 'better_sqlite3.node'),
    )
    // Put Node's build back for everything that runs on Node.
    run(npm, ['rebuild', 'better-sqlite3'])
  } else {
    console.warn('Could not build better-sqlite3 for Electron; the browser host still works.')
  }
} else {
  console.log(
    'The Electron binary could not be downloaded here (no access to its download host).\n' +
      '`npm start` will serve the same terminal through the browser host instead.',
  )
}

step('Checking for Chromium')
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync)
if (chromium) {
  console.log(`Found ${chromium}.`)
} else if (process.platform === 'linux' && existsSync('/usr/bin/apt-get')) {
  const asRoot = process.getuid?.() === 0
  const sudo = asRoot ? [] : ['sudo', '-n']
  const apt = (args) =>
    run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
  if (apt(['update', '-qq']) && apt(['install', '-y', '-qq', 'chromium', 'fonts-noto-cjk'])) {
    console.log('Installed Debian Chromium.')
  } else {
    console.warn('Could not install Chromium; install the `chromium` package to run the e2e tests.')
  }
} else {
  console.warn('No Chromium found; set CHROMIUM_PATH to a Chromium binary to run the e2e tests.')
}

console.log('\n✔ Set up. Start everything with `npm start`; run every check with `npm test`.')
