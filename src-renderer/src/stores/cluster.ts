import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { getAppVersion, getClusterInfo, transport, type Transport } from '../bridge';
import type { ClusterInfo } from '../../../src-main/desktop/ipcChannels';

/** `unreachable`: the bridge itself failed, so nothing behind it can be trusted. */
export type ControlPlaneState = 'connecting' | 'running' | 'unreachable';

const STATUS_TEXT: Record<ControlPlaneState, string> = {
  connecting: 'connecting…',
  running: 'running',
  unreachable: 'unreachable',
};

export const useClusterStore = defineStore('cluster', () => {
  const via = ref<Transport>(transport());
  const appVersion = ref<string | null>(null);
  const controlPlane = ref<ControlPlaneState>('connecting');
  const lastError = ref<string | null>(null);
  const info = ref<ClusterInfo | null>(null);

  const statusText = computed(() => {
    const text = STATUS_TEXT[controlPlane.value];
    return controlPlane.value === 'unreachable' && lastError.value ? `${text} (${lastError.value})` : text;
  });

  async function load(): Promise<void> {
    controlPlane.value = 'connecting';
    try {
      appVersion.value = await getAppVersion();
      info.value = await getClusterInfo();
      controlPlane.value = 'running';
      lastError.value = null;
    } catch (err) {
      controlPlane.value = 'unreachable';
      lastError.value = err instanceof Error ? err.message : String(err);
    }
  }

  return { via, appVersion, controlPlane, lastError, statusText, info, load };
});
