/**
 * Records the spoken payment confirmation's segments (`shared/voice.ts`) once, with Debian's espeak-ng and sox:
 * `resources/voice/<locale>/<id>.wav`, 16 kHz mono, silence trimmed at both ends, so the terminal can play them
 * back to back with no speech service at run time. Run `npx tsx scripts/make-voice.ts` after changing a text
 * (`apt-get install espeak-ng sox` first); the files are committed.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VOICE_SEGMENTS, type VoiceLocale } from '../shared/voice'
import { ROOT } from './launch'

const VOICES: Record<VoiceLocale, { voice: string; speed: number }> = {
  'zh-CN': { voice: 'cmn', speed: 230 },
  en: { voice: 'en-us', speed: 185 },
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`)
}

const work = mkdtempSync(join(tmpdir(), 'tuotou-voice-'))
let total = 0
for (const [locale, segments] of Object.entries(VOICE_SEGMENTS) as [VoiceLocale, Record<string, string>][]) {
  const dir = join(ROOT, 'resources', 'voice', locale)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const { voice, speed } = VOICES[locale]
  for (const [id, text] of Object.entries(segments)) {
    const raw = join(work, `${locale}-${id}.wav`)
    run('espeak-ng', ['-v', voice, '-s', String(speed), '-w', raw, text])
    const out = join(dir, `${id}.wav`)
    // Trim the silence espeak leaves around each word, so segments join without gaps; level them alike.
    run('sox', [
      raw,
      '-r',
      '16000',
      '-c',
      '1',
      '-b',
      '16',
      out,
      'silence',
      '1',
      '0.02',
      '0.5%',
      'reverse',
      'silence',
      '1',
      '0.02',
      '0.5%',
      'reverse',
      'norm',
      '-1',
    ])
    total += statSync(out).size
  }
  console.log(`${locale}: ${readdirSync(dir).length} segments in ${dir}`)
}
rmSync(work, { recursive: true, force: true })
console.log(`${(total / 1024).toFixed(0)} KB in all`)
