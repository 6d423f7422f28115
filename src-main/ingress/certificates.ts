import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { Secret } from '../api/types.js';

// A TLS Secret as nginx will use it, checked first: nginx refuses a whole configuration for one
// unreadable certificate, so a Secret that is not a certificate with its matching key is reported
// on its Ingress and the host gets the default certificate instead (what ingress-nginx does).
// Like ingress-nginx, any Secret with tls.crt and tls.key is accepted, whatever its type.

/** Larger than any sane chain; a bigger Secret is refused rather than parsed. */
const MAX_PEM_BYTES = 256 * 1024;

export interface TlsPair {
  /** Stable while the contents are: the file name nginx reads, so a changed Secret is a changed config. */
  id: string;
  cert: string;
  key: string;
}

function decode(data: Record<string, string> | undefined, field: string): string | { error: string } {
  const b64 = data?.[field];
  if (typeof b64 !== 'string' || !b64) return { error: `it has no ${field}` };
  if (b64.length > (MAX_PEM_BYTES * 4) / 3 + 4) return { error: `its ${field} is larger than ${MAX_PEM_BYTES} bytes` };
  return Buffer.from(b64, 'base64').toString('utf8');
}

export function tlsPairFromSecret(secret: Secret): TlsPair | { error: string } {
  const cert = decode(secret.data, 'tls.crt');
  if (typeof cert !== 'string') return cert;
  const key = decode(secret.data, 'tls.key');
  if (typeof key !== 'string') return key;
  // nginx serves the first certificate and sends the later ones as the chain, and refuses the
  // whole configuration for any it cannot read: each must be a certificate.
  const certBlocks = cert.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (!certBlocks.length) return { error: 'tls.crt has no PEM certificate' };
  let x509: X509Certificate | undefined;
  for (const [i, block] of certBlocks.entries()) {
    try {
      const x = new X509Certificate(block);
      x509 ??= x;
    } catch (e) {
      return { error: `${i ? `certificate ${i + 1} of the chain in ` : ''}tls.crt is not a PEM certificate (${(e as Error).message})` };
    }
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    return { error: `tls.key is not a PEM private key (${(e as Error).message})` };
  }
  if (!x509!.checkPrivateKey(privateKey)) return { error: 'tls.key does not match the certificate in tls.crt' };
  // nginx reads PEM only: keep the blocks, drop anything around them (and other blocks of tls.crt).
  const pem = (s: string) => (s.match(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/g) ?? []).join('\n') + '\n';
  const certPem = certBlocks.join('\n') + '\n';
  const keyPem = pem(key);
  const id = `${secret.metadata.namespace}_${secret.metadata.name}_${createHash('sha256').update(certPem).update(keyPem).digest('hex').slice(0, 16)}`;
  return { id, cert: certPem, key: keyPem };
}
