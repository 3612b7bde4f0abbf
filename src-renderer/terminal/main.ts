import { createPinia } from 'pinia'
import { Button, Field, NavBar } from 'vant'
import 'vant/lib/index.css'
import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n'
import './theme.css'

createApp(App).use(createPinia()).use(i18n).use(Button).use(Field).use(NavBar).mount('#app')
