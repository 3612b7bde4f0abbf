import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'
import { ROOT } from './launch'

// The probe files do not exist, so type-aware rules are switched off; the boundaries are plain import rules.
const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] })

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

// Each case is a file that would break a boundary between the app's parts; lint must refuse it.
describe('import boundaries', () => {
  it.each([
    ['src-renderer/terminal/stores/boundary-probe.ts', "import { app } from 'electron'\nexport const a = app"],
    [
      'src-renderer/terminal/stores/boundary-probe.ts',
      "import { createDeviceCore } from '../../../src-main/core'\nexport const c = createDeviceCore",
    ],
    [
      'src-renderer/depot/boundary-probe.ts',
      "import { buildBackend } from '../../backend/server'\nexport const b = buildBackend",
    ],
    ['src-main/core/boundary-probe.ts', "import { app } from 'electron'\nexport const a = app"],
    [
      'shared/boundary-probe.ts',
      "import { createDeviceCore } from '../src-main/core'\nexport const c = createDeviceCore",
    ],
    ['shared/boundary-probe.ts', "import { bridge } from '../src-renderer/bridge'\nexport const b = bridge"],
    ['shared/boundary-probe.ts', "import { buildBackend } from '../backend/server'\nexport const b = buildBackend"],
  ])('refuses %s importing across a boundary', async (file, code) => {
    expect(await restrictedImports(file, code)).not.toEqual([])
  })

  it.each([
    ['src-main/electron/boundary-probe.ts', "import { app } from 'electron'\nexport const a = app"],
    [
      'src-renderer/terminal/stores/boundary-probe.ts',
      "import { formatFen } from '../../../shared/money'\nexport const f = formatFen",
    ],
    ['src-main/core/boundary-probe.ts', "import { formatFen } from '../../shared/money'\nexport const f = formatFen"],
  ])('allows %s to import what it may', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([])
  })
})
