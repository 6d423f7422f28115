// The layer rule as data: which folders of src-main each layer may import. Everything not listed
// is forbidden, so a new folder must be placed here before anything may depend on it. Used by
// eslint.config.mjs (import-x/no-restricted-paths) and shown in README "Layers".
//
//   api <- store <- apiserver
//   api <- client <- components (scheduler, controllers, kubelet, proxy, dns, ingress, servicelb, addons, hollow, cluster, images)
//   api, client, kubelet, proxy, dns, ingress <- node (the node agent process)
//   components, apiserver, store <- controlplane <- cli, desktop
//   api, client (+ the channel types desktop/ipcChannels.ts) <- dashboard <- cli, desktop

const MAIN = 'src-main';
const COMPONENTS = ['scheduler', 'controllers', 'kubelet', 'proxy', 'dns', 'ingress', 'servicelb', 'addons', 'hollow', 'cluster', 'images'];
/** The control plane's own files at the top of src-main (they wire everything). */
const CONTROLPLANE_FILES = ['controlplane.ts', 'dockerNodes.ts', 'dataFolder.ts'];
const ALL = ['api', 'store', 'apiserver', 'client', ...COMPONENTS, 'node', 'dashboard', 'cli', 'desktop'];

/** For each folder of src-main: the folders it may import besides itself. */
export const LAYERS = {
  api: [],
  store: ['api'],
  apiserver: ['api', 'store'],
  client: ['api'],
  ...Object.fromEntries(COMPONENTS.map((c) => [c, ['api', 'client']])),
  // The node agent: the process of a node container, hosting the kubelet and kube-proxy.
  node: ['api', 'client', 'kubelet', 'proxy', 'dns', 'ingress'],
  // The dashboard's back end shared by both transports (the channel handlers, the headless HTTP
  // server): under cli and desktop, beside the components. It also reads desktop/ipcChannels.ts,
  // the pure channel map (FILE_EXCEPTIONS), as the renderer does.
  dashboard: ['api', 'client'],
  cli: ALL.filter((d) => d !== 'desktop'),
  desktop: ALL.filter((d) => d !== 'cli'),
};

/** Single files of an otherwise forbidden folder that a layer may import (paths relative to that folder). */
const FILE_EXCEPTIONS = {
  dashboard: { desktop: ['./ipcChannels.ts'] },
};

export function layerZones() {
  const zones = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const exceptions = FILE_EXCEPTIONS[layer] ?? {};
    const from = ALL.filter((d) => d !== layer && !allowed.includes(d) && !exceptions[d]).map((d) => `./${MAIN}/${d}`);
    // The top-level control plane files are above every layer but cli and desktop.
    if (layer !== 'cli' && layer !== 'desktop') from.push(...CONTROLPLANE_FILES.map((f) => `./${MAIN}/${f}`));
    zones.push({ target: `./${MAIN}/${layer}`, from, message: `${layer}/ may import only ${[...allowed, layer].join(', ')} (scripts/layers.mjs)` });
    for (const [dir, files] of Object.entries(exceptions)) {
      zones.push({ target: `./${MAIN}/${layer}`, from: `./${MAIN}/${dir}`, except: files, message: `${layer}/ may import from ${dir}/ only ${files.join(', ')} (scripts/layers.mjs)` });
    }
  }
  // The control plane wires every component but is never imported from below, nor imports the UI shells.
  zones.push({ target: CONTROLPLANE_FILES.map((f) => `./${MAIN}/${f}`), from: [`./${MAIN}/cli`, `./${MAIN}/desktop`], message: 'the control plane may not import cli/ or desktop/' });
  // The renderer runs in a browser: it may only share the typed IPC channel map with the main process.
  zones.push({ target: './src-renderer', from: `./${MAIN}`, except: ['./desktop/ipcChannels.ts'], message: 'the renderer talks to the main process only through the bridge (desktop/ipcChannels.ts types)' });
  return zones;
}
