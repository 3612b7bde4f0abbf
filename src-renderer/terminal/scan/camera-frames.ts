import { readBarcodes, type ReaderOptions } from 'zxing-wasm/reader'

/**
 * Parcel labels are Code 128; receipts, payment codes and enrollment codes are QR. Nothing else is worth the
 * decode time. Decoded by zxing-cpp (zxing-wasm): @zxing/library, which the camera used before, missed about one
 * QR in twenty outright, drawn perfectly, in every frame (`camera-frames.test.ts`).
 */
export const CAMERA_CODES: ReaderOptions = { formats: ['QRCode', 'Code128'], maxNumberOfSymbols: 1, tryHarder: true }

/** A camera frame as a canvas gives it (an `ImageData`): RGBA, row by row. */
export interface CameraFrame {
  readonly data: Uint8ClampedArray
  readonly width: number
  readonly height: number
}

/** The text of the code one camera frame shows, or null when it shows none that reads. */
export async function codeInFrame(frame: CameraFrame): Promise<string | null> {
  // A video not yet sized gives an empty frame, which the decoder would throw on.
  if (frame.width === 0 || frame.height === 0) return null
  const results = await readBarcodes(frame as Parameters<typeof readBarcodes>[0], CAMERA_CODES)
  return results.find((result) => result.isValid)?.text ?? null
}
