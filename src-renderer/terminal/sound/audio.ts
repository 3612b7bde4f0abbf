/**
 * The terminal's one audio output, shared by the tones and the spoken payment confirmation: one AudioContext,
 * decoded buffers cached by URL, and a master volume (the courier's setting, 0 to 100). Where Web Audio is
 * unavailable everything still works, silently.
 */

let context: AudioContext | null = null
let master: GainNode | null = null
let volume = 0.8
const decoded = new Map<string, Promise<AudioBuffer | null>>()

export function audio(): { ctx: AudioContext; out: GainNode } | null {
  if (typeof AudioContext === 'undefined') return null
  if (!context) {
    context = new AudioContext()
    master = context.createGain()
    master.gain.value = volume
    master.connect(context.destination)
  }
  return { ctx: context, out: master! }
}

/** The courier's volume setting, 0 to 100. */
export function setVolume(percent: number): void {
  volume = Math.max(0, Math.min(100, percent)) / 100
  if (master) master.gain.value = volume
}

/** A sound file decoded once (its URL is bundled with the app: nothing comes from the network). */
export function decode(url: string): Promise<AudioBuffer | null> {
  let buffer = decoded.get(url)
  if (!buffer) {
    const out = audio()
    buffer = out
      ? fetch(url)
          .then((res) => res.arrayBuffer())
          .then((bytes) => out.ctx.decodeAudioData(bytes))
          .catch(() => null)
      : Promise.resolve(null)
    decoded.set(url, buffer)
  }
  return buffer
}

/** Wakes the context if the page had not been allowed to play yet (a scan or a tap is what allows it). */
export async function ready(): Promise<{ ctx: AudioContext; out: GainNode } | null> {
  const out = audio()
  if (out && out.ctx.state === 'suspended') await out.ctx.resume().catch(() => undefined)
  return out
}
