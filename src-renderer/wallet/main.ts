import { createPinia } from 'pinia'
import { createApp } from 'vue'
import TheWallet from './TheWallet.vue'
import { i18n } from './i18n'

createApp(TheWallet).use(createPinia()).use(i18n).mount('#app')
