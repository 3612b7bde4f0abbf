/// <reference types="vite/client" />

// For tools that read .ts files without Vue's language service (ESLint's type checker); vue-tsc sees the real types.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
