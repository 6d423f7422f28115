import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rule (scripts/layers.mjs) is enforced by `npm run lint`: an import against the
// direction is an error. Shown here on deliberate bad imports linted as if they were project files.

const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res!.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => m.message);
}

describe('layers run one way', () => {
  it('refuses the store importing the API server', async () => {
    const errs = await layerErrors('src-main/store/badImport.ts', "import { startApiServer } from '../apiserver/server.js';\nexport const x = startApiServer;\n");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain('store/ may import only api, store');
  });

  it('refuses a component importing another component, the store or the API server', async () => {
    const code = [
      "import { Scheduler } from '../scheduler/scheduler.js';",
      "import { Store } from '../../store/store.js';",
      "import { Registry } from '../../apiserver/registry/registry.js';",
      'export const x = [Scheduler, Store, Registry];',
    ].join('\n');
    expect(await layerErrors('src-main/controllers/deployment/badImport.ts', code.replace('../scheduler', '../../scheduler'))).toHaveLength(3);
  });

  it('refuses the kubelet bundle anything but api/, client/ and itself', async () => {
    const errs = await layerErrors('src-main/kubelet/badImport.ts', "import { ClusterManager } from '../cluster/clusterManager.js';\nexport const x = ClusterManager;\n");
    expect(errs).toHaveLength(1);
  });

  it('refuses the renderer any main-process module but the IPC channel types', async () => {
    expect(await layerErrors('src-renderer/src/badImport.ts', "import { Store } from '../../src-main/store/store';\nexport const x = Store;\n")).toHaveLength(1);
    expect(await layerErrors('src-renderer/src/okImport.ts', "import type { ClusterInfo } from '../../src-main/desktop/ipcChannels';\nexport type X = ClusterInfo;\n")).toHaveLength(0);
  });

  it('keeps the dashboard back end below cli and desktop: of desktop/ it may read only the channel map', async () => {
    const bad = [
      "import { registerIpcHandlers } from '../desktop/ipcHandlers.js';",
      "import { startControlPlane } from '../controlplane.js';",
      "import { Store } from '../store/store.js';",
      'export const x = [registerIpcHandlers, startControlPlane, Store];',
    ].join('\n');
    expect(await layerErrors('src-main/dashboard/badImport.ts', bad)).toHaveLength(3);
    const ok = "import { IPC_CHANNELS } from '../desktop/ipcChannels.js';\nimport type { ApiClient } from '../client/apiClient.js';\nexport const x = IPC_CHANNELS;\nexport type Y = ApiClient;\n";
    expect(await layerErrors('src-main/dashboard/okImport.ts', ok)).toHaveLength(0);
    expect(await layerErrors('src-main/cli/okImport.ts', "import { dispatch } from '../dashboard/channelDispatch.js';\nexport const x = dispatch;\n")).toHaveLength(0);
  });

  it('allows what the direction allows', async () => {
    const ok = await layerErrors('src-main/controllers/deployment/okImport.ts', "import { ApiClient } from '../../client/apiClient.js';\nimport type { Pod } from '../../api/types.js';\nexport type X = [ApiClient, Pod];\n");
    expect(ok).toHaveLength(0);
  });
});
