import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import QRCode from 'qrcode'
import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer'

export type LabelSymbology = 'code128' | 'qr'

/** The label's dark/light modules, row by row: a QR's matrix, or one row of Code 128 bars stretched tall. */
async function modulesOf(text: string, symbology: LabelSymbology): Promise<boolean[][]> {
  if (symbology === 'qr') {
    const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
    return Array.from({ length: modules.size }, (_, r) =>
      Array.from({ length: modules.size }, (_, c) => modules.get(r, c) === 1),
    )
  }
  // zxing's writer, with its WebAssembly from node_modules (never the CDN it defaults to).
  const wasm = createRequire(import.meta.url).resolve('zxing-wasm/writer/zxing_writer.wasm')
  await prepareZXingModule({
    overrides: { wasmBinary: new Uint8Array(readFileSync(wasm)).buffer },
    fireImmediately: true,
  })
  const written = await writeBarcode(text, { format: 'Code128', scale: 1 })
  if (written.error) throw new Error(`zxing could not write ${text}: ${written.error}`)
  const bars = [...written.utf8.split('\n')[0]!].map((char) => char === '█')
  return Array.from({ length: 40 }, () => bars)
}

/** One camera frame's luma (640×480, a byte a pixel) showing one label, black on white, as a camera over it sees it. */
export async function labelFrame(
  text: string,
  symbology: LabelSymbology,
): Promise<{ width: number; height: number; luma: Buffer }> {
  const width = 640
  const height = 480
  const rows = await modulesOf(text, symbology)
  const quiet = symbology === 'qr' ? 4 : 10
  const moduleCols = rows[0]!.length + 2 * quiet
  const scale = Math.max(1, Math.floor(Math.min(width / moduleCols, symbology === 'qr' ? height / moduleCols : 4)))
  const rowHeight = symbology === 'qr' ? scale : Math.floor(240 / rows.length)
  const drawnWidth = moduleCols * scale
  const drawnHeight = (rows.length + (symbology === 'qr' ? 2 * quiet : 0)) * rowHeight
  const left = Math.floor((width - drawnWidth) / 2)
  const top = Math.floor((height - drawnHeight) / 2)
  const luma = Buffer.alloc(width * height, 200)
  for (let y = 0; y < drawnHeight; y++) {
    for (let x = 0; x < drawnWidth; x++) {
      const row = Math.floor(y / rowHeight) - (symbology === 'qr' ? quiet : 0)
      const col = Math.floor(x / scale) - quiet
      const dark = rows[row]?.[col] === true
      luma[(top + y) * width + left + x] = dark ? 16 : 235
    }
  }
  return { width, height, luma }
}

/**
 * Writes a Y4M video (what Chromium's fake capture device plays with `--use-file-for-fake-video-capture`) of
 * `labelFrame`, still. The terminal's camera scanner decodes it like any other camera frame.
 */
export async function writeLabelCameraFeed(file: string, text: string, symbology: LabelSymbology): Promise<void> {
  const { width, height, luma } = await labelFrame(text, symbology)
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128)
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma])
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)
  writeFileSync(file, Buffer.concat([header, ...Array.from({ length: 10 }, () => frame)]))
}

/** Chromium flags that play `feed` as the camera and grant it without a prompt. */
export function fakeCameraFlags(feed: string): string[] {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${feed}`,
  ]
}
