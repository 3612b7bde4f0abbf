import { describe, expect, it } from 'vitest'
import { maskName, maskPhone } from './masking'

describe('recipient masking', () => {
  it('keeps only the family name', () => {
    expect(maskName('吴磊')).toBe('吴*')
    expect(maskName('王小明')).toBe('王**')
    expect(maskName('吴')).toBe('吴*')
    expect(maskName('  ')).toBe('*')
  })

  it('keeps the first three and last four digits of a mobile number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678')
    expect(maskPhone('+86 138-1234-5678'.replace('+86 ', ''))).toBe('138****5678')
    expect(maskPhone('051265123456')).toBe('********3456')
    expect(maskPhone('12')).toBe('**')
  })
})
