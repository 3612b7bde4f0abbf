import { chromium } from '@playwright/test'
import { CHROMIUM_FLAGS, findChromium } from './scripts/launch'
const [html, out, width] = process.argv.slice(2)
const browser = await chromium.launch({ executablePath: findChromium() ?? undefined, args: [...CHROMIUM_FLAGS, '--offline'] })
const page = await browser.newPage({ viewport: { width: Number(width ?? 1280), height: 900 } })
const requests: string[] = []
page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()) })
await page.goto(`file://${html}`)
await page.screenshot({ path: out, fullPage: true })
console.log('non-local requests:', requests)
await browser.close()
