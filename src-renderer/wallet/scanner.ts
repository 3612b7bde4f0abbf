import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader'
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url'

// The .wasm is bundled with the page and served by the acquirer itself; the package's default is a CDN, which
// this closed network cannot reach and a wallet should never depend on.
prepareZXingModule({
  overrides: {
    locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path),
  },
})

/** The first QR code's text in a picture (a screenshot, a camera frame), or null when there is none. */
export async function readQrCode(input: Blob | ImageData): Promise<string | null> {
  const results = await readBarcodes(input, { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 })
  return results.find((result) => result.isValid)?.text ?? null
}
