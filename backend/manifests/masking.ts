/** A recipient's name as the courier sees it: the family name and a star per other character, `吴*`, `欧阳**`→`欧**`. */
export function maskName(name: string): string {
  const chars = [...name.trim()]
  if (chars.length === 0) return '*'
  return `${chars[0]}${'*'.repeat(Math.max(1, chars.length - 1))}`
}

/** A phone number as the courier sees it: `138****5678` for a mainland mobile, otherwise only the last four. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  if (digits.length === 11) return `${digits.slice(0, 3)}****${digits.slice(7)}`
  if (digits.length <= 4) return '*'.repeat(digits.length || 1)
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`
}
