import 'element-plus/dist/index.css'
import './theme.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import TheDashboard from './TheDashboard.vue'
import { i18n } from './i18n'

document.documentElement.lang = i18n.global.locale.value
createApp(TheDashboard).use(createPinia()).use(i18n).mount('#app')
