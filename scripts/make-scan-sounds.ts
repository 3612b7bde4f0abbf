/**
 * Writes the terminal's tones as 16-bit mono WAV files in `resources/sounds/`: a short bright beep for a good
 * scan, a falling two-tone buzz for a refused one, a two-note chime for a payment received, a rising three-note
 * chime for a completion the courier did not watch (a payment for an earlier order landing), and three low pulses
 * for something new needing attention, distinct enough to tell apart in a noisy stairwell without looking. Deterministic; run `npx tsx scripts/make-scan-sounds.ts` after changing a tone.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './launch'

const RATE = 22_050

interface Tone {
  hz: number
  ms: number
  /** Square-ish waves carry better through a small speaker; 0 is a pure sine. */
  harmonics: number
  gain: number
}

function render(tones: (Tone | { silenceMs: number })[]): Int16Array {
  const samples: number[] = []
  for (const part of tones) {
    if ('silenceMs' in part) {
      for (let i = 0; i < (part.silenceMs * RATE) / 1000; i++) samples.push(0)
      continue
    }
    const count = Math.round((part.ms * RATE) / 1000)
    const fade = Math.round(0.006 * RATE)
    for (let i = 0; i < count; i++) {
      const t = i / RATE
      let value = Math.sin(2 * Math.PI * part.hz * t)
      for (let h = 1; h <= part.harmonics; h++) {
        const n = 2 * h + 1
        value += Math.sin(2 * Math.PI * part.hz * n * t) / n
      }
      // Short fades at both ends so the speaker does not click.
      const envelope = Math.min(1, i / fade, (count - i) / fade)
      samples.push(Math.round(value * envelope * part.gain * 0.6 * 32767))
    }
  }
  return Int16Array.from(samples, (s) => Math.max(-32768, Math.min(32767, s)))
}

function wav(samples: Int16Array): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'ascii')
  header.writeUInt32LE(36 + data.length, 4)
  header.write('WAVE', 8, 'ascii')
  header.write('fmt ', 12, 'ascii')
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20)
  header.writeUInt16LE(1, 22)
  header.writeUInt32LE(RATE, 24)
  header.writeUInt32LE(RATE * 2, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36, 'ascii')
  header.writeUInt32LE(data.length, 40)
  return Buffer.concat([header, data])
}

const dir = join(ROOT, 'resources', 'sounds')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'scan-good.wav'), wav(render([{ hz: 2700, ms: 110, harmonics: 0, gain: 0.9 }])))
writeFileSync(
  join(dir, 'scan-refused.wav'),
  wav(
    render([
      { hz: 440, ms: 170, harmonics: 3, gain: 0.8 },
      { silenceMs: 50 },
      { hz: 294, ms: 260, harmonics: 3, gain: 0.8 },
    ]),
  ),
)
writeFileSync(
  join(dir, 'completion-notice.wav'),
  wav(
    render([
      { hz: 988, ms: 90, harmonics: 1, gain: 0.8 },
      { silenceMs: 30 },
      { hz: 1319, ms: 90, harmonics: 1, gain: 0.8 },
      { silenceMs: 30 },
      { hz: 1976, ms: 180, harmonics: 1, gain: 0.8 },
    ]),
  ),
)
// A payment received: a bright two-note chime, before the amount is spoken.
writeFileSync(
  join(dir, 'payment-received.wav'),
  wav(
    render([
      { hz: 1568, ms: 80, harmonics: 0, gain: 0.8 },
      { silenceMs: 15 },
      { hz: 2093, ms: 140, harmonics: 0, gain: 0.8 },
    ]),
  ),
)
// Something new needs attention (a refused event, a flag): three short low pulses.
writeFileSync(
  join(dir, 'attention.wav'),
  wav(
    render([
      { hz: 660, ms: 70, harmonics: 2, gain: 0.8 },
      { silenceMs: 60 },
      { hz: 660, ms: 70, harmonics: 2, gain: 0.8 },
      { silenceMs: 60 },
      { hz: 660, ms: 70, harmonics: 2, gain: 0.8 },
    ]),
  ),
)
console.log(`Wrote the scan, payment, notice and attention tones to ${dir}`)
