/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface Window {
  /** Exposed by the preload inside the Electron window; absent in a plain browser (headless mode). */
  readonly flotilla?: import('../../src-main/desktop/ipcChannels').FlotillaApi;
}
