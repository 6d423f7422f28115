// Timing of the control loops. Kubernetes' defaults are tuned for data centres (a node is
// declared unreachable after 40-50 s and its pods are evicted 300 s later); Flotilla's are tuned
// for a desktop, where a stopped node's pods should run elsewhere within about ten seconds:
//
//   kubelet renews its Lease every    leaseRenewIntervalMs     (2 s; lease duration 10 s)
//   node is Unknown + tainted after   nodeMonitorGracePeriodMs (6 s without a renewal)
//   pods are evicted after            defaultTolerationSeconds (3 s, from the default tolerations)
//
// Every value can be changed through ControlPlaneOptions.controllers.

export interface ControllerOptions {
  /** How often the node lifecycle controller checks Leases. */
  nodeMonitorPeriodMs: number;
  /** A node whose Lease has not been renewed for this long becomes Ready=Unknown and tainted unreachable. */
  nodeMonitorGracePeriodMs: number;
  /** A registered node that never reported gets this long before it is marked Unknown. */
  nodeStartupGracePeriodMs: number;
  /** tolerationSeconds of the not-ready/unreachable tolerations added to every pod at admission. */
  defaultTolerationSeconds: number;
  /** How often kubelets (and hollow nodes) renew their Lease. */
  leaseRenewIntervalMs: number;
  /** Lease duration kubelets write into their Lease. */
  leaseDurationSeconds: number;
  /** Workers on each queue of every controller (kube's --concurrent-*-syncs, one value here). */
  workers: number;
  /** Terminated pods kept before pod GC deletes the oldest (kube: 12500). */
  terminatedPodGCThreshold: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  nodeMonitorPeriodMs: 1000,
  nodeMonitorGracePeriodMs: 6000,
  nodeStartupGracePeriodMs: 30_000,
  defaultTolerationSeconds: 3,
  leaseRenewIntervalMs: 2000,
  leaseDurationSeconds: 10,
  workers: 4,
  terminatedPodGCThreshold: 12_500,
};
