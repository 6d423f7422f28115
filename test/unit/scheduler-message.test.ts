import { describe, expect, it } from 'vitest';
import { compareGoStrings, fitErrorMessage, NO_NODES_AVAILABLE, sortedReasonHistogram } from '../../src-main/scheduler/fitError.js';
import { Framework } from '../../src-main/scheduler/framework.js';
import { SchedulerCache } from '../../src-main/scheduler/cache.js';
import { makeNode, makePod, makePodInfo } from '../../src-main/scheduler/testing.js';
import { attemptSignature, buildLastAttempt, decodeLastAttempt, encodeLastAttempt, MAX_REASONS } from '../../src-main/scheduler/lastAttempt.js';

// The "0/N nodes are available" message must be byte-for-byte kube-scheduler's (1.32, without
// the preemption suffix): users paste it into searches and compare it with real clusters.

describe('fitErrorMessage', () => {
  it('formats the histogram as kube does, sorted like Go sort.Strings', () => {
    const reasons = new Map([
      ['Insufficient memory', 2],
      ['node(s) had untolerated taint {key: value}', 1],
    ]);
    expect(fitErrorMessage(3, reasons)).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient memory.');
  });
  it('sorts counts as strings, not numbers (kube quirk)', () => {
    const reasons = { 'Insufficient cpu': 10, 'node(s) were unschedulable': 2 };
    expect(fitErrorMessage(12, reasons)).toBe('0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.');
  });
  it('sorts by reason when counts are equal, uppercase before lowercase', () => {
    expect(sortedReasonHistogram({ 'node(s) were unschedulable': 1, 'Too many pods': 1, 'Insufficient cpu': 1 })).toEqual([
      '1 Insufficient cpu',
      '1 Too many pods',
      '1 node(s) were unschedulable',
    ]);
  });
  it('says "no nodes available" when the cluster has none', () => {
    expect(fitErrorMessage(0, new Map())).toBe(NO_NODES_AVAILABLE);
    expect(NO_NODES_AVAILABLE).toBe('no nodes available to schedule pods');
  });
  it('compares strings by UTF-8 bytes', () => {
    expect(compareGoStrings('a', 'b')).toBeLessThan(0);
    expect(compareGoStrings('ab', 'a')).toBeGreaterThan(0);
    expect(compareGoStrings('B', 'a')).toBeLessThan(0);
    // U+FF61 (3 UTF-8 bytes, EF BD A1) sorts before U+1F600 (4 bytes, F0 ...) in Go, unlike UTF-16 order.
    expect(compareGoStrings('\uff61', '\u{1f600}')).toBeLessThan(0);
    expect('\uff61' < '\u{1f600}').toBe(false);
  });
});

describe('end to end message from the framework', () => {
  it('produces the issue example over three nodes', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('node-1', { memory: '1Gi' }));
    cache.setNode(makeNode('node-2', { memory: '1Gi' }));
    cache.setNode(makeNode('node-3', { memory: '8Gi', taints: [{ key: 'key', value: 'value', effect: 'NoSchedule' }] }));
    const fw = new Framework();
    const r = fw.schedule(makePodInfo('web-1', { memory: '2Gi' }), cache);
    expect(r.node).toBeUndefined();
    expect(r.evaluated).toBe(3);
    expect(fitErrorMessage(r.numAllNodes, r.filtered)).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient memory.');
    expect([...r.rejectors].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
  });
  it('counts a node once per reason of the first rejecting filter only', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('a', { cpu: '1', memory: '1Gi', unschedulable: true }));
    cache.setNode(makeNode('b', { cpu: '1', memory: '1Gi' }));
    cache.setNode(makeNode('c', { cpu: '1', memory: '1Gi', ready: 'False' }));
    const r = new Framework().schedule(makePodInfo('p', { cpu: '2', memory: '2Gi' }), cache);
    expect(fitErrorMessage(r.numAllNodes, r.filtered)).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were not ready, 1 node(s) were unschedulable.',
    );
  });
  it('reports every node when pods fill them up', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('a', { pods: '1' }));
    cache.upsertBoundPod(makePod('x', { nodeName: 'a' }));
    const r = new Framework().schedule(makePodInfo('p'), cache);
    expect(fitErrorMessage(r.numAllNodes, r.filtered)).toBe('0/1 nodes are available: 1 Too many pods.');
  });
});

describe('last-attempt annotation', () => {
  it('records a successful attempt with the top 5 scores, chosen node first', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 8; i++) cache.setNode(makeNode(`n${i}`, { memory: i < 2 ? '1Gi' : '8Gi' }));
    const r = new Framework().schedule(makePodInfo('p', { memory: '2Gi', owner: 'web' }), cache);
    const a = buildLastAttempt(r, new Date('2026-01-02T03:04:05.678Z'));
    expect(a.time).toBe('2026-01-02T03:04:05Z');
    expect(a.result).toBe('Scheduled');
    expect(a.node).toBe(r.node);
    expect(a.filtered).toEqual({ 'Insufficient memory': 2 });
    expect(a.scores).toHaveLength(5);
    expect(a.scores[0]!.node).toBe(r.node);
    for (let i = 1; i < a.scores.length; i++) expect(a.scores[i - 1]!.total).toBeGreaterThanOrEqual(a.scores[i]!.total);
    expect(Object.keys(a.scores[0]!.plugins).sort()).toEqual(['BalancedAllocation', 'LeastAllocated', 'OwnerSpread']);
    const text = encodeLastAttempt(a);
    expect(decodeLastAttempt(text)).toEqual(a);
    expect(text.length).toBeLessThan(1500);
  });
  it('records a failure without scores', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n', { memory: '1Gi' }));
    const a = buildLastAttempt(new Framework().schedule(makePodInfo('p', { memory: '2Gi' }), cache));
    expect(a).toMatchObject({ result: 'Unschedulable', filtered: { 'Insufficient memory': 1 }, scores: [] });
    expect(a.node).toBeUndefined();
  });
  it('stays bounded with many distinct reasons', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 50; i++) cache.setNode(makeNode(`n${i}`, { taints: [{ key: `k${i}`, value: 'v'.repeat(300), effect: 'NoSchedule' }] }));
    const r = new Framework().schedule(makePodInfo('p'), cache);
    const a = buildLastAttempt(r);
    expect(Object.keys(a.filtered)).toHaveLength(MAX_REASONS);
    expect(Object.values(a.filtered).reduce((x, y) => x + y, 0)).toBe(50);
    expect(a.filtered['(39 other reasons)']).toBe(39);
    expect(encodeLastAttempt(a).length).toBeLessThan(4000);
  });
  it('has a signature that ignores time and scores', () => {
    const base = { time: 't1', result: 'Unschedulable' as const, filtered: { x: 1 }, scores: [] };
    expect(attemptSignature(base)).toBe(attemptSignature({ ...base, time: 't2' }));
    expect(attemptSignature(base)).not.toBe(attemptSignature({ ...base, filtered: { x: 2 } }));
  });
});
