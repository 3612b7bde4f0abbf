import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ipcChannelNames } from '../../shared/ipc/contract'
import { createDeviceCore, type DeviceCore } from '../core'
import { startBrowserHost, type BrowserHost } from './server'

let core: DeviceCore
let host: BrowserHost

beforeAll(async () => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'tuotou-renderer-'))
  mkdirSync(join(rendererDir, 'terminal'))
  writeFileSync(join(rendererDir, 'terminal', 'index.html'), '<!doctype html><title>terminal</title>')
  core = createDeviceCore({
    dataDir: mkdtempSync(join(tmpdir(), 'tuotou-host-')),
    host: 'browser',
    version: '0.0.0-test',
    backendUrl: 'http://127.0.0.1:9',
  })
  host = await startBrowserHost({ core, rendererDir, keepAliveSeconds: 1 })
})
afterAll(async () => {
  await host.close()
  core.close()
})

const ipc = (channel: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${host.origin}/ipc/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tuotou-token': host.token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('browser host', () => {
  it('binds to loopback only', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const address = host.app.server.address()
    expect(typeof address === 'object' && address?.address).toBe('127.0.0.1')
  })

  it('serves every channel of the contract', async () => {
    for (const channel of ipcChannelNames) {
      const res = await ipc(channel, {})
      const body = (await res.json()) as { ok: boolean; error?: { code: string } }
      expect(body.error?.code, channel).not.toBe('ipc.unknown_channel')
      expect(res.status, channel).not.toBe(404)
    }
  })

  it('answers a valid call', async () => {
    const res = await ipc('updateSettings', { locale: 'en' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, value: { locale: 'en' } })
  })

  it('refuses a call without the token, or with a wrong one', async () => {
    for (const token of ['', 'guess', `${host.token}x`]) {
      const res = await ipc('updateSettings', { locale: 'zh-CN' }, { 'x-tuotou-token': token })
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'ipc.unauthorized' } })
    }
    expect(await core.handlers.getSettings({})).toMatchObject({ locale: 'en' })
  })

  it('refuses an unknown channel', async () => {
    const res = await ipc('formatDisk', {})
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'ipc.unknown_channel' } })
  })

  it('refuses malformed payloads with a clear error and changes nothing', async () => {
    const before = await core.handlers.getSettings({})
    const cases: [unknown, string][] = [
      ['{"locale":', 'ipc.bad_request'],
      [{ locale: 'de' }, 'ipc.bad_request'],
      [{ backendUrl: 'not a url' }, 'ipc.bad_request'],
      [{ cameraTriggerKey: '<script>' }, 'ipc.bad_request'],
      [{ locale: 'en', admin: true }, 'ipc.bad_request'],
      [[1, 2], 'ipc.bad_request'],
    ]
    for (const [body, code] of cases) {
      const res = await ipc('updateSettings', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      const answer = (await res.json()) as { error: { code: string; message: string } }
      expect(answer.error.code).toBe(code)
      expect(answer.error.message.length).toBeGreaterThan(5)
    }
    expect(await core.handlers.getSettings({})).toEqual(before)
  })

  it('refuses a body that is not JSON, as a cross-origin form would send', async () => {
    const res = await fetch(`${host.origin}/ipc/updateSettings`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-tuotou-token': host.token },
      body: 'locale=en',
    })
    expect(res.status).toBe(415)
  })

  it('refuses a request addressed to another host name (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${host.origin}/ipc/getSettings`,
        {
          method: 'POST',
          headers: { host: 'evil.example', 'content-type': 'application/json', 'x-tuotou-token': host.token },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(403)
  })

  it('sends no CORS grant, so another origin cannot read answers', async () => {
    const res = await fetch(`${host.origin}/ipc/getSettings`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:1', 'access-control-request-headers': 'x-tuotou-token' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('serves the renderer with a strict content security policy', async () => {
    const res = await fetch(`${host.origin}/terminal/`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('terminal')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
  })

  it('sends a page that reconnects the events it missed, after the last one it saw', async () => {
    const read = async (headers: Record<string, string>, until: RegExp): Promise<string> => {
      const controller = new AbortController()
      const res = await fetch(`${host.origin}/events?token=${host.token}`, { headers, signal: controller.signal })
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      while (!until.test(text)) {
        const { value, done } = await reader.read()
        if (done) break
        text += value
      }
      controller.abort()
      return text
    }
    const first = read({}, /"locale":"en"/)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await ipc('updateSettings', { locale: 'en' })
    const seen = await first
    const lastId = /id: (\d+)\nevent: settingsChanged\ndata: [^\n]*"locale":"en"/.exec(seen)?.[1]
    expect(lastId).toBeDefined()
    // While the page is away, two more changes happen.
    await ipc('updateSettings', { cameraTriggerKey: 'F9' })
    await ipc('updateSettings', { cameraTriggerKey: 'F10' })
    const replayed = await read({ 'last-event-id': lastId! }, /"cameraTriggerKey":"F10"/)
    expect(replayed).toMatch(/"cameraTriggerKey":"F9"[\s\S]*"cameraTriggerKey":"F10"/)
    expect(replayed).not.toContain(`id: ${lastId}\n`)
  })

  it('streams core events to a page holding the token, and not to one without', async () => {
    const denied = await fetch(`${host.origin}/events`)
    expect(denied.status).toBe(401)

    const controller = new AbortController()
    const res = await fetch(`${host.origin}/events?token=${host.token}`, { signal: controller.signal })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    await ipc('updateSettings', { locale: 'zh-CN' })
    let text = ''
    while (!text.includes('event: settingsChanged')) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    controller.abort()
    expect(text).toMatch(/event: settingsChanged\ndata: \{[^\n]*"locale":"zh-CN"/)
  })
})
