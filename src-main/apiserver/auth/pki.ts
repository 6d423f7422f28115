import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect polyfill.
import * as x509 from '@peculiar/x509';
import { webcrypto, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';

// The cluster's PKI: a CA generated at first start and a serving certificate for the API server
// signed by it. ECDSA P-256 keeps generation in the millisecond range. The serving certificate
// is re-issued whenever the set of names it must cover changes (e.g. a new node-facing address).

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS = 3650 * 24 * 3600 * 1000;

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!;
  return (await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign'])) as unknown as CryptoKey;
}

async function createCA(): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=flotilla-ca',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A serving certificate for `names` signed by the cluster CA (the API server's, the ingress controller's default one). */
export async function issueServingCertificate(caCertPem: string, caKeyPem: string, names: string[], commonName = 'flotilla-apiserver'): Promise<{ cert: string; key: string }> {
  const ca = new x509.X509Certificate(caCertPem);
  const caKey = await importKey(caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const sans = names.map((n) => ({ type: (isIP(n) ? 'ip' : 'dns') as 'ip' | 'dns', value: n }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

function readIf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function writeSecret(file: string, data: string): void {
  // Write-then-rename so a crash never leaves half a key behind.
  fs.writeFileSync(`${file}.tmp`, data, { mode: 0o600 });
  fs.chmodSync(`${file}.tmp`, 0o600); // a leftover .tmp keeps its old mode through writeFileSync
  fs.renameSync(`${file}.tmp`, file);
}

/** Loads the PKI from `dir`, creating the CA once and (re-)issuing the serving cert for `names`. */
export async function ensurePki(dir: string, names: string[]): Promise<Pki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => path.join(dir, n);
  let caCert = readIf(f('ca.crt'));
  let caKey = readIf(f('ca.key'));
  if (!caCert || !caKey) {
    const ca = await createCA();
    caCert = ca.cert;
    caKey = ca.key;
    writeSecret(f('ca.key'), caKey);
    writeSecret(f('ca.crt'), caCert);
  }
  const wanted = [...new Set(names)].sort().join(',');
  let serverCert = readIf(f('apiserver.crt'));
  let serverKey = readIf(f('apiserver.key'));
  if (!serverCert || !serverKey || readIf(f('apiserver.names')) !== wanted) {
    const s = await issueServingCertificate(caCert, caKey, wanted.split(','));
    serverCert = s.cert;
    serverKey = s.key;
    writeSecret(f('apiserver.key'), serverKey);
    writeSecret(f('apiserver.crt'), serverCert);
    writeSecret(f('apiserver.names'), wanted);
  }
  return { caCert, caKey, serverCert, serverKey };
}
