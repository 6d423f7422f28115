import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { getAppVersion, transport, type Transport } from '../bridge';

/**
 * `not-started`: the host answered but runs no control plane yet (this build only hosts the
 * window); `unreachable`: the bridge itself failed, so nothing behind it can be trusted.
 */
export type ControlPlaneState = 'connecting' | 'not-started' | 'unreachable';

const STATUS_TEXT: Record<ControlPlaneState, string> = {
  connecting: 'connecting…',
  'not-started': 'not started',
  unreachable: 'unreachable',
};

export const useClusterStore = defineStore('cluster', () => {
  const via = ref<Transport>(transport());
  const appVersion = ref<string | null>(null);
  const controlPlane = ref<ControlPlaneState>('connecting');
  const lastError = ref<string | null>(null);

  const statusText = computed(() => {
    const text = STATUS_TEXT[controlPlane.value];
    return controlPlane.value === 'unreachable' && lastError.value ? `${text} (${lastError.value})` : text;
  });

  async function load(): Promise<void> {
    controlPlane.value = 'connecting';
    try {
      appVersion.value = await getAppVersion();
      controlPlane.value = 'not-started';
      lastError.value = null;
    } catch (err) {
      controlPlane.value = 'unreachable';
      lastError.value = err instanceof Error ? err.message : String(err);
    }
  }

  return { via, appVersion, controlPlane, lastError, statusText, load };
});
