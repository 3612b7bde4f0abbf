import type en from './en'

/** 简体中文。 */
export default {
  app: {
    name: '妥投',
    tagline: '货到付款终端',
    browserHost: '浏览器模式：本机没有 Electron',
    loading: '正在启动…',
  },
  setup: {
    title: '设置本终端',
    backend: '物流后台',
    backendUrl: '后台地址',
    check: '检查连接',
    reachable: '已连接 · {ms} 毫秒',
    unreachable: '无法连接',
    checking: '正在检查…',
    save: '保存地址',
    language: '语言',
    credentialsFile: '本设备没有系统密钥库：凭据保存在仅本用户可读的文件中。',
    credentialsSealed: '凭据已由系统密钥库加密保存。',
    dataDir: '设备数据',
    version: '版本 {version}',
  },
  language: {
    system: '跟随系统',
    'zh-CN': '中文',
    en: 'English',
  },
  errors: {
    internal: '出错了：{message}',
    ipc: {
      bad_request: '应用发出的请求终端无法识别。',
      unknown_channel: '应用请求了终端不提供的功能。',
      unauthorized: '此页面无权访问终端，请打开终端打印的地址。',
      host_unreachable: '终端服务没有响应。',
      bad_response: '终端返回了意外的内容。',
    },
    backend: {
      unreachable: '无法连接后台。',
      bad_response: '后台返回了意外的内容。',
    },
  },
} satisfies typeof en
