/**
 * The acquirer's fee on a payment: `feeBp` basis points (0.01 %) of the amount, rounded half up to the fen. The
 * sandbox charges it and the backend expects it, so a statement whose fee differs is listed.
 */
export function statementFee(amountFen: number, feeBp: number): number {
  return Math.floor((amountFen * feeBp + 5_000) / 10_000)
}
