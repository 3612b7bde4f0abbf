/** The route day (YYYY-MM-DD) of an instant in a depot's time zone: a Suzhou route starts at Suzhou midnight. */
export function routeDateOf(nowMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(nowMs))
  const part = (type: string): string => parts.find((p) => p.type === type)!.value
  return `${part('year')}-${part('month')}-${part('day')}`
}
