/** English messages. `zh-CN.ts` must carry every key here; the type check refuses a missing one. */
export default {
  app: {
    name: 'Tuotou',
    tagline: 'Cash-on-delivery terminal',
    browserHost: 'Browser mode: no Electron on this machine',
    loading: 'Starting…',
  },
  setup: {
    title: 'Set up this terminal',
    backend: 'Logistics backend',
    backendUrl: 'Backend address',
    check: 'Check connection',
    reachable: 'Connected · {ms} ms',
    unreachable: 'No connection',
    checking: 'Checking…',
    save: 'Save address',
    language: 'Language',
    credentialsFile: 'This device has no OS key store: credentials are kept in a file only this user can read.',
    credentialsSealed: 'Credentials are sealed by the OS key store.',
    dataDir: 'Device data',
    version: 'Version {version}',
  },
  language: {
    system: 'System',
    'zh-CN': '中文',
    en: 'English',
  },
  errors: {
    internal: 'Something went wrong: {message}',
    ipc: {
      bad_request: 'The app sent a request the terminal could not read.',
      unknown_channel: 'The app asked for something the terminal does not offer.',
      unauthorized: 'This page is not allowed to talk to the terminal. Open the address the terminal printed.',
      host_unreachable: 'The terminal service is not answering.',
      bad_response: 'The terminal answered something unexpected.',
    },
    backend: {
      unreachable: 'Cannot reach the backend.',
      bad_response: 'The backend answered something unexpected.',
    },
  },
}
