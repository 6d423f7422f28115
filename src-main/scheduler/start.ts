import { ApiClient } from '../client/apiClient.js';
import { InformerFactory } from '../client/informer.js';
import { makeContext } from '../controllers/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from '../controllers/options.js';
import { Scheduler } from './scheduler.js';

// Runs the scheduler as its own API client with its own informers (kube-scheduler's role).

export interface SchedulerHandle {
  scheduler: Scheduler;
  stop(): void;
}

export async function startScheduler(client: ApiClient, options: Partial<ControllerOptions> = {}, log: (l: string) => void = () => {}): Promise<SchedulerHandle> {
  const informers = new InformerFactory(client);
  const scheduler = new Scheduler(makeContext(client, informers, { ...DEFAULT_CONTROLLER_OPTIONS, ...options }, log));
  scheduler.init();
  await informers.start();
  scheduler.run();
  return {
    scheduler,
    stop() {
      scheduler.stop();
      informers.stop();
    },
  };
}
