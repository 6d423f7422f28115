import dnsPacket from 'dns-packet';

// dns-packet's per-type record data codecs (`record(type)`), which it exports at run time but
// @types/dns-packet does not declare. encode() writes the 2-octet data length, then the data.

export interface RecordCodec {
  encode(data: unknown): Buffer;
  decode(buf: Buffer, offset?: number): unknown;
}

export function recordCodec(type: string): RecordCodec {
  return (dnsPacket as unknown as { record(type: string): RecordCodec }).record(type);
}
