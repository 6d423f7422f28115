import type { ApiClient } from '../client/apiClient.js';
import type { InformerFactory } from '../client/informer.js';
import { EventRecorder } from '../client/eventRecorder.js';
import type { ControllerOptions } from './options.js';

// What every control loop gets and provides. Controllers are plain API clients: they read
// through shared informers and write back through the API server, never to the store.

export interface ControllerContext {
  client: ApiClient;
  informers: InformerFactory;
  options: ControllerOptions;
  /** An event recorder reporting as `component` (e.g. "deployment-controller"). */
  recorder(component: string): EventRecorder;
  log(line: string): void;
}

export interface Controller {
  readonly name: string;
  /**
   * Registers informer handlers and indexes. Called for every controller before the shared
   * informers start, so handlers see the initial list.
   */
  init(): void;
  /** Starts the workers; called once the informers have synced. */
  run(): void;
  stop(): void;
}

export function makeContext(client: ApiClient, informers: InformerFactory, options: ControllerOptions, log: (l: string) => void): ControllerContext {
  const recorders = new Map<string, EventRecorder>();
  return {
    client,
    informers,
    options,
    log,
    recorder(component: string) {
      let r = recorders.get(component);
      if (!r) recorders.set(component, (r = new EventRecorder(client, component)));
      return r;
    },
  };
}
