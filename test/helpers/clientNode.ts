import { ApiException, KubeConfig, ListWatch, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { TestCluster } from './controlPlane.js';
import { until } from './wait.js';

// Helpers for integration tests that drive a test cluster with @kubernetes/client-node 1.4.

/** A KubeConfig loaded from the test cluster's kubeconfig file (what a real user would do). */
export function kubeConfigFor(cluster: TestCluster): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return kc;
}

export interface StatusBody {
  kind?: string;
  apiVersion?: string;
  status?: string;
  reason?: string;
  code?: number;
  message?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; field?: string; message?: string }[] };
}

/**
 * Runs `fn`, expects it to reject with an ApiException of HTTP status `code`, and returns the
 * parsed metav1.Status body (client-node 1.4 keeps the error body as the raw response text).
 */
export async function expectApiError(fn: () => Promise<unknown>, code: number): Promise<StatusBody> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected an ApiException with code ${code}`).toBeInstanceOf(ApiException);
  const err = caught as ApiException<unknown>;
  expect(err.code).toBe(code);
  const body = typeof err.body === 'string' ? (JSON.parse(err.body) as StatusBody) : (err.body as StatusBody);
  expect(body.kind).toBe('Status');
  expect(body.apiVersion).toBe('v1');
  expect(body.status).toBe('Failure');
  expect(body.code).toBe(code);
  return body;
}

/** A unique, DNS-1123-safe suffix for object names. */
export function uniq(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export interface WatchEvent<T> {
  type: string;
  object: T;
}

/** What client-node's Watch passes to its done callback: null on a clean close, else the error (statusCode set for HTTP errors). */
export type WatchEnd = (Error & { statusCode?: number }) | null;

/**
 * A watch started through client-node's Watch, recording every event and how the stream ended.
 */
export interface RecordedWatch<T> {
  events: WatchEvent<T>[];
  /** Resolves with what client-node passed to its done callback. */
  done: Promise<WatchEnd>;
  ended: boolean;
  abort(): void;
  /** Waits until an event matching `pred` has been seen (searching from the start). */
  waitForEvent(pred: (e: WatchEvent<T>) => boolean, what: string, timeoutMs?: number): Promise<WatchEvent<T>>;
}

export async function recordWatch<T extends KubernetesObject = KubernetesObject>(
  watch: Watch,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): Promise<RecordedWatch<T>> {
  const events: WatchEvent<T>[] = [];
  let resolveDone!: (e: WatchEnd) => void;
  const done = new Promise<WatchEnd>((r) => (resolveDone = r));
  const rec: RecordedWatch<T> = {
    events,
    done,
    ended: false,
    abort: () => controller.abort(),
    waitForEvent: (pred, what, timeoutMs) => until(what, () => events.find(pred), timeoutMs),
  };
  const controller = await watch.watch(
    path,
    query,
    (type: string, object: T) => events.push({ type, object }),
    (err: WatchEnd) => {
      rec.ended = true;
      resolveDone(err ?? null);
    },
  );
  return rec;
}

/** The resourceVersion an informer (a ListWatch underneath, though not typed as one) resumes from. */
export function informerRV<T extends KubernetesObject>(informer: object): string {
  expect(informer).toBeInstanceOf(ListWatch);
  return (informer as ListWatch<T>).latestResourceVersion();
}
