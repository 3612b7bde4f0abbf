import noticeUrl from '../../../resources/sounds/completion-notice.wav?url'
import attentionUrl from '../../../resources/sounds/attention.wav?url'
import paidUrl from '../../../resources/sounds/payment-received.wav?url'
import goodUrl from '../../../resources/sounds/scan-good.wav?url'
import refusedUrl from '../../../resources/sounds/scan-refused.wav?url'
import { markTone } from '../perf'
import { decode, play, ready } from './audio'

/**
 * Distinct tones a courier tells apart without looking: a good scan, a refusal, a payment received (before it is
 * spoken), a completion the courier did not watch, and a new item needing attention.
 */
export type Tone = 'good' | 'refused' | 'paid' | 'notice' | 'attention'

const urls: Record<Tone, string> = {
  good: goodUrl,
  refused: refusedUrl,
  paid: paidUrl,
  notice: noticeUrl,
  attention: attentionUrl,
}

/** Decodes every tone ahead, so the first scan beeps without a delay. */
export function preloadTones(): void {
  for (const url of Object.values(urls)) void decode(url)
}

/** Plays a tone now; resolves with the buffer's length in seconds (0 when silent). */
export async function playTone(tone: Tone, at?: number): Promise<number> {
  markTone(tone)
  const out = await ready()
  const buffer = await decode(urls[tone])
  if (!out || !buffer) return 0
  const source = out.ctx.createBufferSource()
  source.buffer = buffer
  source.connect(out.out)
  play(source, at ?? 0)
  return buffer.duration
}
