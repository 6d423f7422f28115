import { ApiClient } from '../client/apiClient.js';
import { InformerFactory, trimManagedFields } from '../client/informer.js';
import { makeContext, type Controller, type ControllerContext } from '../client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from '../client/controllerOptions.js';
import { silentLogger, type Logger } from '../api/log.js';
import { ReplicaSetController } from './replicaset/replicasetController.js';
import { DeploymentController } from './deployment/deploymentController.js';
import { GarbageCollector } from './garbagecollector/garbageCollector.js';
import { NamespaceController } from './namespace/namespaceController.js';
import { ServiceAccountController } from './serviceaccount/serviceAccountController.js';
import { PodGCController } from './podgc/podGCController.js';
import { NodeLifecycleController } from './nodelifecycle/nodeLifecycleController.js';
import { EndpointsController } from './endpoints/endpointsController.js';
import { EndpointSliceController } from './endpointslice/endpointSliceController.js';
import { RootCACertPublisher } from './rootcacertpublisher/rootCACertPublisher.js';

// The controller manager (kube-controller-manager's role): every control loop in one process,
// sharing one API client and one set of informers, talking to the API server over HTTPS with
// its own token like any other client. Like kube-controller-manager, the informers drop
// managedFields. `informers` lets the process share its informer cache with other in-process
// components (the control plane shares it with the scheduler); writes still go through `client`.

/** Every control loop the manager runs, constructed (constructors touch no informer). */
export function newControllers(ctx: ControllerContext): Controller[] {
  return [
    new ReplicaSetController(ctx),
    new DeploymentController(ctx),
    new GarbageCollector(ctx),
    new NamespaceController(ctx),
    new ServiceAccountController(ctx),
    new PodGCController(ctx),
    new NodeLifecycleController(ctx),
    new EndpointsController(ctx),
    new EndpointSliceController(ctx),
    new RootCACertPublisher(ctx),
  ];
}

export interface ControllerManager {
  controllers: Controller[];
  /** Stops every controller; resolves once their workers have returned. */
  stop(): Promise<void>;
}

export async function startControllerManager(
  client: ApiClient,
  options: Partial<ControllerOptions> = {},
  log: Logger = silentLogger,
  informers: InformerFactory = new InformerFactory(client, { transform: trimManagedFields }),
): Promise<ControllerManager> {
  const release = informers.acquire();
  const ctx = makeContext(client, informers, { ...DEFAULT_CONTROLLER_OPTIONS, ...options }, log);
  const controllers = newControllers(ctx);
  for (const c of controllers) c.init();
  await informers.start();
  for (const c of controllers) c.run();
  return {
    controllers,
    async stop() {
      const stopping = controllers.map((c) => c.stop());
      release();
      await Promise.all(stopping);
    },
  };
}
