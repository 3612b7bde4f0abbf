import { describe, expect, it } from 'vitest'
import { announcementSegments, announcementText, VOICE_SEGMENTS } from './voice'

const zh = (fen: number, tail: string | null = null) => announcementText('zh-CN', { amountFen: fen, waybillTail: tail })
const en = (fen: number, tail: string | null = null) => announcementText('en', { amountFen: fen, waybillTail: tail })

describe('the spoken payment confirmation', () => {
  it('reads amounts the way a Chinese merchant terminal does', () => {
    expect(zh(6660)).toBe('数字人民币收款六十六点六元')
    expect(zh(1000)).toBe('数字人民币收款十元')
    expect(zh(1500)).toBe('数字人民币收款十五元')
    expect(zh(11_000)).toBe('数字人民币收款一百一十元')
    expect(zh(10_500)).toBe('数字人民币收款一百零五元')
    expect(zh(20_000)).toBe('数字人民币收款两百元')
    expect(zh(129_900)).toBe('数字人民币收款一千两百九十九元')
    expect(zh(2_000_000)).toBe('数字人民币收款两万元')
    expect(zh(1_000_500)).toBe('数字人民币收款一万零五元')
    expect(zh(1_050_000)).toBe('数字人民币收款一万零五百元')
    expect(zh(5_000_000)).toBe('数字人民币收款五万元')
    expect(zh(505)).toBe('数字人民币收款五点零五元')
    expect(zh(1)).toBe('数字人民币收款零点零一元')
  })

  it('reads them in English too', () => {
    expect(en(6660)).toBe('Digital yuan received sixty six point six yuan')
    expect(en(129_900)).toBe('Digital yuan received one thousand two hundred ninety nine yuan')
    expect(en(5_000_000)).toBe('Digital yuan received fifty thousand yuan')
    expect(en(1_700)).toBe('Digital yuan received seventeen yuan')
    expect(en(10_005)).toBe('Digital yuan received one hundred point zero five yuan')
  })

  it('says the waybill’s last four digits for an earlier order', () => {
    expect(zh(6660, '0421')).toBe('数字人民币收款六十六点六元运单尾号零四二一')
    expect(en(500, '7788')).toBe('Digital yuan received five yuan for the order ending seven seven eight eight')
  })

  it('uses only recorded segments, for every amount up to the order ceiling', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (let fen = 0; fen <= 5_000_000; fen += 997) {
        for (const id of announcementSegments(locale, { amountFen: fen, waybillTail: '1234' })) {
          expect(VOICE_SEGMENTS[locale][id], `${locale} ${fen}: ${id}`).toBeDefined()
        }
      }
    }
  })
})
