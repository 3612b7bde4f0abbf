/**
 * The failed tests of one `npm test` run, a line each: the file, the test's title and the first line of what
 * failed. The summary prints them above its count line, so a log read from its tail says which tests failed.
 */
import { stripVTControlCharacters } from 'node:util'

/** The first line of a message, and the next one too when the first only introduces it (ends with a colon). */
function firstLine(text) {
  const lines = stripVTControlCharacters(String(text ?? ''))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const first = lines[0] ?? ''
  return (first.endsWith(':') && lines[1] ? `${first} ${lines[1]}` : first).slice(0, 200)
}

/**
 * @param {{ unit: any, e2e: any, rounds: string[], root: string }} results Vitest's and Playwright's JSON
 *   reports (either may be null), and the names of the rounds that failed.
 * @returns {string[]}
 */
export function failedTests({ unit, e2e, rounds, root }) {
  const lines = []
  for (const file of unit?.testResults ?? []) {
    const name = file.name.replace(root + '/', '')
    // A file that did not load has no tests, only its own message.
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'))
      lines.push(`unit  ${name}: ${firstLine(file.message)}`)
    for (const test of file.assertionResults ?? [])
      if (test.status === 'failed')
        lines.push(`unit  ${name} › ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`)
  }
  const walk = (suite, file) => {
    for (const spec of suite.specs ?? [])
      for (const test of spec.tests ?? [])
        for (const result of test.results ?? [])
          if (result.status !== 'passed' && result.status !== 'skipped')
            lines.push(
              `e2e   ${file}:${spec.line} ${spec.title}: ${result.status} after ${Math.round(result.duration / 1000)} s: ` +
                firstLine(result.error?.message),
            )
    for (const child of suite.suites ?? []) walk(child, file)
  }
  for (const suite of e2e?.suites ?? []) walk(suite, suite.file)
  // A spec file that did not load is an error of the whole run.
  for (const error of e2e?.errors ?? [])
    lines.push(`e2e   ${error.location?.file?.replace(root + '/', '') ?? 'the run'}: ${firstLine(error.message)}`)
  for (const name of rounds) lines.push(`round ${name}`)
  return lines
}
