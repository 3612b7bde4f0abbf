/**
 * The spoken payment confirmation (收款播报): what the terminal says when a payment is confirmed, as a list of
 * pre-recorded segments (digits, 十/百/千/万, 元, the fixed phrases) played one after another. No speech service
 * is used at run time; `scripts/make-voice.ts` records the segments once, from the texts below, into
 * `resources/voice/<locale>/<id>.wav`. Shared by the terminal (which plays them) and that script.
 */

export type VoiceLocale = 'zh-CN' | 'en'

/** Every segment and what it says, per language. The ids are the file names. */
export const VOICE_SEGMENTS: Record<VoiceLocale, Record<string, string>> = {
  'zh-CN': {
    received: '数字人民币收款',
    tail: '运单尾号',
    yuan: '元',
    point: '点',
    '0': '零',
    '1': '一',
    '2': '二',
    liang: '两',
    '3': '三',
    '4': '四',
    '5': '五',
    '6': '六',
    '7': '七',
    '8': '八',
    '9': '九',
    shi: '十',
    bai: '百',
    qian: '千',
    wan: '万',
  },
  en: {
    received: 'Digital yuan received',
    tail: 'for the order ending',
    yuan: 'yuan',
    point: 'point',
    ...Object.fromEntries(
      [
        'zero',
        'one',
        'two',
        'three',
        'four',
        'five',
        'six',
        'seven',
        'eight',
        'nine',
        'ten',
        'eleven',
        'twelve',
        'thirteen',
        'fourteen',
        'fifteen',
        'sixteen',
        'seventeen',
        'eighteen',
        'nineteen',
      ].map((word, n) => [String(n), word]),
    ),
    ...Object.fromEntries(
      ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].map((word, i) => [
        String((i + 2) * 10),
        word,
      ]),
    ),
    hundred: 'hundred',
    thousand: 'thousand',
  },
}

/** A whole number of yuan (0 to 99,999,999) as segments, the way a Chinese merchant terminal reads it out. */
function chineseNumber(n: number): string[] {
  if (n === 0) return ['0']
  const groups = [Math.floor(n / 10_000), n % 10_000]
  const out: string[] = []
  const group = (g: number, leading: boolean): string[] => {
    const digits = [Math.floor(g / 1000), Math.floor(g / 100) % 10, Math.floor(g / 10) % 10, g % 10]
    const units = ['qian', 'bai', 'shi', '']
    const said: string[] = []
    let zero = false
    digits.forEach((digit, i) => {
      if (digit === 0) {
        if (said.length > 0 || !leading) zero = true
        return
      }
      if (zero && (said.length > 0 || !leading)) said.push('0')
      zero = false
      const unit = units[i]!
      // 两百, 两千 (and 两万 below); 十二, not 一十二, at the very start.
      if (digit === 2 && (unit === 'qian' || unit === 'bai')) said.push('liang')
      else if (!(digit === 1 && unit === 'shi' && leading && said.length === 0)) said.push(String(digit))
      if (unit) said.push(unit)
    })
    return said
  }
  if (groups[0]! > 0) {
    const high = group(groups[0]!, true)
    out.push(...(high.length === 1 && high[0] === '2' ? ['liang'] : high), 'wan')
  }
  // Below 万, its leading zeros are said once (一万零五), which the group does when it is not the leading one.
  if (groups[1]! > 0) out.push(...group(groups[1]!, groups[0] === 0))
  return out
}

/** A whole number (0 to 99,999) in English segments: "forty", "two", "thousand", "three", "hundred", … */
function englishNumber(n: number): string[] {
  const below100 = (x: number): string[] =>
    x < 20 ? [String(x)] : [String(x - (x % 10)), ...(x % 10 ? [String(x % 10)] : [])]
  const below1000 = (x: number): string[] => {
    const out: string[] = []
    if (x >= 100) out.push(String(Math.floor(x / 100)), 'hundred')
    if (x % 100 || x === 0) out.push(...below100(x % 100))
    return out
  }
  if (n === 0) return ['0']
  const out: string[] = []
  if (n >= 1000) out.push(...below1000(Math.floor(n / 1000)), 'thousand')
  if (n % 1000) out.push(...below1000(n % 1000))
  return out
}

/** The decimals as spoken: "point six" for .60, "point zero five" for .05, nothing for .00. */
function decimals(fen: number, zero: string): string[] {
  const cents = fen % 100
  if (cents === 0) return []
  const digits = [Math.floor(cents / 10), cents % 10]
  if (digits[1] === 0) digits.pop()
  return ['point', ...digits.map((d) => (d === 0 ? zero : String(d)))]
}

export interface Announcement {
  amountFen: number
  /** The waybill's last four digits, said when the payment is for an earlier order than the one on screen. */
  waybillTail: string | null
}

/** The segments to play for a confirmed payment, in order. */
export function announcementSegments(locale: VoiceLocale, announcement: Announcement): string[] {
  const { amountFen, waybillTail } = announcement
  const yuan = Math.floor(amountFen / 100)
  const amount =
    locale === 'zh-CN'
      ? [...chineseNumber(yuan), ...decimals(amountFen, '0'), 'yuan']
      : [...englishNumber(Math.min(yuan, 99_999)), ...decimals(amountFen, '0'), 'yuan']
  const tail = waybillTail ? ['tail', ...waybillTail.split('').filter((c) => /\d/.test(c))] : []
  return ['received', ...amount, ...tail]
}

/** What those segments say, as text: shown to tests in `payment-announcement[data-text]`. */
export function announcementText(locale: VoiceLocale, announcement: Announcement): string {
  const said = announcementSegments(locale, announcement).map((id) => VOICE_SEGMENTS[locale][id] ?? id)
  return locale === 'zh-CN' ? said.join('') : said.join(' ')
}
