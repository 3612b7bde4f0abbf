import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { prepareZXingModule, readBarcodes, type ReadResult } from 'zxing-wasm/reader'

let ready: Promise<unknown> | null = null

/** Loads zxing's WebAssembly from node_modules: never from a CDN (its default), so tests run offline. */
function prepare(): Promise<unknown> {
  ready ??= (() => {
    const path = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm')
    const bytes = new Uint8Array(readFileSync(path))
    return prepareZXingModule({ overrides: { wasmBinary: bytes.buffer }, fireImmediately: true })
  })()
  return ready
}

/** Every QR code zxing finds in a PNG (a Playwright screenshot), as text. */
export async function decodeQrPng(png: Buffer): Promise<string[]> {
  await prepare()
  const results: ReadResult[] = await readBarcodes(new Uint8Array(png), { formats: ['QRCode'], tryHarder: true })
  return results.filter((result) => result.isValid).map((result) => result.text)
}

/** Every Code 128 barcode zxing finds in a PNG (a Playwright screenshot), as text. */
export async function decodeCode128Png(png: Buffer): Promise<string[]> {
  await prepare()
  const results: ReadResult[] = await readBarcodes(new Uint8Array(png), { formats: ['Code128'], tryHarder: true })
  return results.filter((result) => result.isValid).map((result) => result.text)
}
