import { randomInt } from 'node:crypto';
import type { Logger } from '../api/log.js';
import { DnsCache, cacheKeyOf } from './cache.js';
import type { Forwarder } from './forwarder.js';
import type { KubeAnswer, KubeResolver } from './resolver.js';
import { AA, AD, CD, CLASS_IN, DO, QR, QType, RD, Rcode, TC, Z, decodeMessage, encodeMessage, lowerName, opcodeOf, readHeader, truncated, type Message, type ResourceRecord } from './wire.js';

// One query from bytes in to bytes out, as a CoreDNS 1.11 server with kubeadm's Corefile handles
// it. The steps and where CoreDNS (and miekg/dns under it) decides them:
//   accept      miekg/dns acceptfunc.go + server.go serveDNS: no header: dropped; a response:
//               dropped; an opcode other than QUERY/NOTIFY: NOTIMP; not exactly one question, or
//               more than 1 answer, 1 authority or 2 additional records, or unreadable: FORMERR
//   class       core/dnsserver/server.go ServeDNS: a class other than IN: REFUSED
//   EDNS        plugin/pkg/edns Version: an EDNS version other than 0: BADVERS
//   plugins     loadbalance -> cache -> kubernetes -> forward (plugin.cfg order)
//   scrub       request/writer.go ScrubWriter: the client's OPT echoed (SizeAndDo), then the reply
//               cut to 512 octets, or the client's EDNS size, over UDP, 65,535 over TCP (TC set)
//
// One choice differs from CoreDNS: answers from the cluster zone are not cached. CoreDNS's cache
// sits in front of the kubernetes plugin, so a Service created or deleted may be answered from
// the cache for up to 30 s; here every cluster answer is computed from the informers' current
// state (its TTLs still go through the cache's rewrite, so they are what CoreDNS first sends).

export type Proto = 'udp' | 'tcp';

const OPCODE_QUERY = 0;
const OPCODE_NOTIFY = 4;

// EDNS options CoreDNS echoes back (request/edns0.go supportedOptions).
const SUPPORTED_OPTIONS = new Set([3 /* NSID */, 9 /* EXPIRE */, 10 /* COOKIE */, 11 /* TCP keepalive */, 12 /* PADDING */]);

export interface PipelineOptions {
  resolver: KubeResolver;
  forwarder: Forwarder;
  cache: DnsCache;
  log: Logger;
}

/** miekg's SetReply: ID, QR, opcode, and for a QUERY its RD and CD bits, the first question. */
function reply(req: Message, rcode: number): Message {
  let flags = QR | (req.flags & 0x7800) | (rcode & 0xf);
  if (opcodeOf(req.flags) === OPCODE_QUERY) flags |= req.flags & (RD | CD);
  return { id: req.id, flags, questions: req.questions.slice(0, 1), answers: [], authorities: [], additionals: [] };
}

/** request.SizeAndDo: the reply's OPT carries the client's size and DO bit, version 0. */
function sizeAndDo(req: Message, m: Message): void {
  const o = req.edns;
  if (!o) return;
  if (m.edns) {
    m.edns = { ...m.edns, udpSize: o.udpSize, version: 0, extendedRcode: 0, flags: (m.edns.flags & 0xff00) | (o.flags & DO) };
    return;
  }
  m.edns = { udpSize: o.udpSize, extendedRcode: 0, version: 0, flags: o.flags & 0xff00, options: o.options.filter((x) => SUPPORTED_OPTIONS.has(x.code)) };
}

/** edns.Size: what the client can take. */
function clientSize(req: Message, proto: Proto): number {
  if (proto === 'tcp') return 0xffff;
  return Math.max(512, req.edns?.udpSize ?? 0);
}

/** The loadbalance plugin (round_robin): CNAMEs, other records, then shuffled addresses, then shuffled MX. */
function roundRobin(rrs: ResourceRecord[]): ResourceRecord[] {
  if (rrs.length < 2) return rrs;
  const cname: ResourceRecord[] = [];
  const address: ResourceRecord[] = [];
  const mx: ResourceRecord[] = [];
  const rest: ResourceRecord[] = [];
  for (const r of rrs) {
    if (r.type === QType.CNAME) cname.push(r);
    else if (r.type === QType.A || r.type === QType.AAAA) address.push(r);
    else if (r.type === QType.MX) mx.push(r);
    else rest.push(r);
  }
  shuffle(address);
  shuffle(mx);
  return [...cname, ...rest, ...address, ...mx];
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

function loadBalanced(m: Message): Message {
  if ((m.flags & 0xf) !== Rcode.NoError) return m;
  const t = m.questions[0]?.type;
  if (t === QType.AXFR || t === QType.IXFR) return m;
  return { ...m, answers: roundRobin(m.answers), authorities: roundRobin(m.authorities), additionals: roundRobin(m.additionals) };
}

export class Pipeline {
  constructor(private readonly o: PipelineOptions) {}

  /** The bytes to send back for a message received, or undefined to send nothing. */
  async handleWire(buf: Buffer, proto: Proto): Promise<Buffer | undefined> {
    const h = readHeader(buf);
    if (!h || (h.flags & QR) !== 0) return undefined;
    const opcode = opcodeOf(h.flags);
    const base: Message = { id: h.id, flags: h.flags, questions: [], answers: [], authorities: [], additionals: [] };
    if (opcode !== OPCODE_QUERY && opcode !== OPCODE_NOTIFY) return encodeMessage(this.rejected(base, Rcode.NotImp));
    if (h.qdcount !== 1 || h.ancount > 1 || h.nscount > 1 || h.arcount > 2) return encodeMessage(this.rejected(base, Rcode.FormErr));
    let req: Message;
    try {
      req = decodeMessage(buf, (partial) => (base.questions = partial.questions));
    } catch {
      return encodeMessage(this.rejected(base, Rcode.FormErr));
    }
    try {
      return encodeMessage(await this.handle(req, proto), clientSize(req, proto));
    } catch (e) {
      // CoreDNS recovers a panicking query with SERVFAIL; so does this for anything unforeseen
      // (a name from the API that cannot be written, say).
      this.o.log.warn('query failed', { name: req.questions[0]?.name, err: e });
      return encodeMessage(this.errorReply(req, Rcode.ServFail), clientSize(req, proto));
    }
  }

  /** miekg's reject: the request's header bits, QR set, AA and Z cleared, no records. */
  private rejected(base: Message, rcode: number): Message {
    let flags = (base.flags | QR) & ~(AA | Z | 0xf);
    if (rcode === Rcode.FormErr) flags &= ~0x7800;
    return { ...base, flags: flags | rcode };
  }

  /** A decoded query's reply (before it is cut to the client's size). */
  async handle(req: Message, proto: Proto): Promise<Message> {
    const q = req.questions[0]!;
    if (q.class !== CLASS_IN) return this.errorReply(req, Rcode.Refused);
    if (req.edns && req.edns.version !== 0) {
      const m = reply(req, 0);
      m.edns = { udpSize: 0, extendedRcode: Rcode.BadVers >> 4, version: 0, flags: 0, options: [] };
      return m;
    }
    const m = await this.chain(req, proto);
    sizeAndDo(req, m);
    return m;
  }

  /** errorFunc in core/dnsserver: the rcode alone, with the client's OPT. */
  private errorReply(req: Message, rcode: number): Message {
    const m = reply(req, rcode);
    sizeAndDo(req, m);
    return m;
  }

  private async chain(req: Message, proto: Proto): Promise<Message> {
    const q = req.questions[0]!;
    const name = lowerName(q.name);
    const key = cacheKeyOf(req, name);
    const reqAD = (req.flags & AD) !== 0;
    const lookup = async (target: string, type: number): Promise<Message | undefined> => {
      const sub: Message = { ...req, questions: [{ name: target, type, class: CLASS_IN }] };
      const m = await this.handle(sub, proto);
      return truncated(m, clientSize(sub, proto));
    };

    const kube = await this.o.resolver.handle(q.name, q.type, lookup);
    if (kube === 'refused') return this.errorReply(req, Rcode.Refused);
    if (kube !== 'next') return loadBalanced(this.o.cache.written(key, this.fromKube(req, kube), true, reqAD, false));

    const hit = this.o.cache.lookup(key, req);
    if (hit) return loadBalanced(hit);

    const res = await this.o.forwarder.forward(req, proto);
    switch (res.kind) {
      case 'refused':
        return this.errorReply(req, Rcode.Refused);
      case 'failed':
        this.o.log.debug('no upstream answered', { name: q.name, type: q.type, err: res.error });
        return this.errorReply(req, Rcode.ServFail);
      case 'mismatch':
        return loadBalanced(this.o.cache.written(key, reply(req, Rcode.FormErr), false, reqAD));
      case 'answer':
        return loadBalanced(this.o.cache.written(key, res.msg, true, reqAD));
    }
  }

  private fromKube(req: Message, k: KubeAnswer): Message {
    const m = reply(req, k.rcode);
    if (k.authoritative) m.flags |= AA;
    if (k.truncated) m.flags |= TC;
    m.answers = k.answers;
    m.authorities = k.authorities;
    m.additionals = k.additionals;
    return m;
  }
}
