import { createPinia } from 'pinia'
import { Button, CountDown, Field, NavBar, NumberKeyboard, Popup, Progress, Tabbar, TabbarItem } from 'vant'
import 'vant/lib/index.css'
import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n'
import './theme.css'

createApp(App)
  .use(createPinia())
  .use(i18n)
  .use(Button)
  .use(CountDown)
  .use(Field)
  .use(NavBar)
  .use(NumberKeyboard)
  .use(Popup)
  .use(Progress)
  .use(Tabbar)
  .use(TabbarItem)
  .mount('#app')
