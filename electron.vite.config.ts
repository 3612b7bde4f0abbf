import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'
import { noRemoteCss } from './scripts/no-remote-css'

const root = import.meta.dirname

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rolldownOptions: { input: { index: resolve(root, 'src-main/electron/main.ts') } },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload cannot require from node_modules: bundle everything into one CommonJS file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [vue(), ...noRemoteCss()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      // electron-vite leaves renderers unminified; the depot dashboard and the wallet travel over the network.
      minify: true,
      // Sounds stay files: the pages' CSP lets audio be fetched from the app itself, not from data: URLs.
      assetsInlineLimit: (file: string) => (file.endsWith('.wav') ? false : undefined),
      rolldownOptions: {
        input: {
          terminal: resolve(root, 'src-renderer/terminal/index.html'),
          depot: resolve(root, 'src-renderer/depot/index.html'),
          // The sandbox acquirer's customer wallet, served by the backend at /sandbox/wallet/.
          wallet: resolve(root, 'src-renderer/wallet/index.html'),
        },
      },
    },
  },
})
