import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import vue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/** Import boundaries between the app's parts (STYLE rule 1); a violation fails `npm test`. */
const boundary = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
})
const noElectron = { group: ['electron', 'electron/*'], message: 'Only src-main/electron may import electron.' }
const noMain = {
  group: ['**/src-main/**', '../src-main', '../../src-main'],
  message: 'The renderer reaches the core only through the bridge.',
}
const noBackend = {
  group: ['**/backend/**', '../backend', '../../backend'],
  message: 'The renderer talks to the backend only through the core.',
}
const noOutsideShared = {
  group: ['**/src-main/**', '**/src-renderer/**', '**/backend/**', '**/e2e/**', '**/scripts/**', 'electron'],
  message: 'shared/ imports nothing from the other parts.',
}

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'e2e/.artifacts/**',
      '.data/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...vue.configs['flat/recommended'],
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.vue'],
        parser: tseslint.parser,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
    },
  },
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['src-renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: boundary([noElectron, noMain, noBackend]),
  },
  { files: ['src-main/core/**/*.ts'], rules: boundary([noElectron]) },
  { files: ['src-main/browser-host/**/*.ts', 'backend/**/*.ts'], rules: boundary([noElectron]) },
  { files: ['shared/**/*.ts'], rules: boundary([noOutsideShared]) },
  {
    files: ['**/*.test.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
)
