import type { ApiClient } from '../client/apiClient.js';
import { makeContext } from '../client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../client/controllerOptions.js';
import { InformerFactory, trimManagedFields } from '../client/informer.js';
import type { Logger } from '../api/log.js';
import { ServiceLoadBalancer, type ServiceLoadBalancerOptions } from './serviceLoadBalancer.js';

// The service load balancer as a component of the control plane process: an API client of its
// own (its own token and informers), like a cloud-controller-manager beside kube-apiserver.

export interface ServiceLoadBalancerHandle {
  controller: ServiceLoadBalancer;
  /** Stops the loop and closes every listener. */
  stop(): Promise<void>;
}

export async function startServiceLoadBalancer(client: ApiClient, o: ServiceLoadBalancerOptions, log: Logger): Promise<ServiceLoadBalancerHandle> {
  const informers = new InformerFactory(client, { transform: trimManagedFields });
  const release = informers.acquire();
  const controller = new ServiceLoadBalancer(makeContext(client, informers, DEFAULT_CONTROLLER_OPTIONS, log), o);
  controller.init();
  await informers.start();
  controller.run();
  return {
    controller,
    async stop() {
      const stopping = controller.stop();
      release();
      await stopping;
    },
  };
}
