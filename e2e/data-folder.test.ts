import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ROOT } from '../scripts/launch'
import { createDeviceCore } from '../src-main/core'
import { LOCK_FILE } from '../src-main/core/lock'
import { killCoreProcesses, startCoreProcess } from './support/core-process'

/**
 * Two terminals on one data folder (issue 10, point 7): two browser hosts on one folder were not refused, and
 * acting on one order from both gave two outcomes. A second core now exits at once, naming the owner, and the
 * claim left by a core killed with -9 is taken over at the next start.
 */

afterEach(async () => {
  await killCoreProcesses()
})

/** `npm run terminal` on `dataDir`: resolves with its exit code and what it printed, or kills it after 20 s. */
function runTerminal(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src-main/browser-host/cli.ts'),
        '--browser',
        '--no-open',
        '--port',
        '0',
        '--data',
        dataDir,
        '--backend',
        'http://127.0.0.1:9',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('one core per data folder', () => {
  it('refuses a second terminal at once, naming the owner, and takes over after the owner is killed -9', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tuotou-lock-'))
    const owner = await startCoreProcess({ dataDir, backendUrl: 'http://127.0.0.1:9' })
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: owner.pid })

    // A second browser host on the folder: one clear line, exit status 3, nothing opened.
    const second = await runTerminal(dataDir)
    expect(second.code).toBe(3)
    expect(second.output).toMatch(new RegExp(`in use by another Tuotou terminal \\(process ${owner.pid} on .+\\)`, 'i'))
    expect(second.output).not.toMatch(/Terminal \(browser host\):/)
    // A second core in this very process is refused the same way.
    expect(() => createDeviceCore({ dataDir, host: 'browser', version: '0' })).toThrow(
      expect.objectContaining({ code: 'core.data_in_use', details: expect.objectContaining({ pid: owner.pid }) }),
    )

    // kill -9: the owner cannot clean up, but the operating system drops its claim; the next core takes over.
    await owner.kill('SIGKILL')
    const next = createDeviceCore({ dataDir, host: 'browser', version: '0' })
    try {
      expect(next.recoveredLock).toMatchObject({ pid: owner.pid })
      expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid })
    } finally {
      next.close()
    }
    // A clean close takes the owner's name off the folder, and the next start finds nothing stale.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)
    const again = createDeviceCore({ dataDir, host: 'browser', version: '0' })
    expect(again.recoveredLock).toBeNull()
    again.close()
  })

  it('a data folder that cannot be written: one clear line at start, no crash, no stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tuotou-ro-'))
    // A folder the terminal ran in before, then turned read-only (a full or failing card is mounted so).
    createDeviceCore({ dataDir, host: 'browser', version: '0' }).close()
    const readOnly = (on: boolean): void => {
      // Root writes through permissions, so as root the folder is made immutable instead.
      if (process.getuid?.() === 0) spawnSync('chattr', [on ? '+i' : '-i', dataDir])
      else chmodSync(dataDir, on ? 0o555 : 0o755)
    }
    readOnly(true)
    try {
      let writable = true
      try {
        writeFileSync(join(dataDir, 'probe'), 'x')
        rmSync(join(dataDir, 'probe'))
      } catch {
        writable = false
      }
      expect(writable, 'the folder could not be made read-only here').toBe(false)
      const run = await runTerminal(dataDir)
      expect(run.code).toBe(1)
      expect(run.output).toMatch(/^The terminal cannot start: the device's data folder cannot be written/m)
      expect(run.output).not.toMatch(/SqliteError|\n\s+at /)
    } finally {
      readOnly(false)
    }
  })
})
