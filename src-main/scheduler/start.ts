import { ApiClient } from '../client/apiClient.js';
import { InformerFactory, trimManagedFields } from '../client/informer.js';
import { makeContext } from '../client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from '../client/controllerOptions.js';
import { Scheduler } from './scheduler.js';
import { silentLogger, type Logger } from '../api/log.js';

// Runs the scheduler as its own API client with its own informers (kube-scheduler's role; like
// kube-scheduler's, they drop managedFields). In the control plane process the scheduler reads
// through the informer cache it shares with the controller manager (`informers`), as a combined
// binary would; it still writes (bindings, status, events) through its own client and token.

export interface SchedulerHandle {
  scheduler: Scheduler;
  stop(): void;
}

export async function startScheduler(
  client: ApiClient,
  options: Partial<ControllerOptions> = {},
  log: Logger = silentLogger,
  informers: InformerFactory = new InformerFactory(client, { transform: trimManagedFields }),
): Promise<SchedulerHandle> {
  const release = informers.acquire();
  const scheduler = new Scheduler(makeContext(client, informers, { ...DEFAULT_CONTROLLER_OPTIONS, ...options }, log));
  scheduler.init();
  await informers.start();
  scheduler.run();
  return {
    scheduler,
    stop() {
      scheduler.stop();
      release();
    },
  };
}
