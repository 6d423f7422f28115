import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The key that signs service account tokens (kubeadm's sa.key / sa.pub beside the cluster CA).
// Generated once with the rest of the PKI and kept in the same folder, private to its owner.
// ECDSA P-256 (ES256), like the rest of Flotilla's PKI: kube accepts RSA and ECDSA keys alike.
// Modes as the data folder's (dataFolder.ts): 0700 folders, 0600 files.

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export interface ServiceAccountKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The JWT `kid`: base64url of the SHA-256 of the DER public key, as kube's keyIDFromPublicKey. */
  keyId: string;
}

function write(file: string, data: string): void {
  // Write-then-rename so a crash never leaves half a key behind.
  fs.writeFileSync(`${file}.tmp`, data, { mode: FILE_MODE });
  fs.chmodSync(`${file}.tmp`, FILE_MODE); // a leftover .tmp keeps its old mode through writeFileSync
  fs.renameSync(`${file}.tmp`, file);
}

function fromPrivatePem(pem: string): ServiceAccountKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, keyId: createHash('sha256').update(der).digest('base64url') };
}

/** Loads `dir`/sa.key, creating it (and sa.pub) the first time. */
export function ensureServiceAccountKey(dir: string): ServiceAccountKey {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const keyFile = path.join(dir, 'sa.key');
  let pem: string | undefined;
  try {
    pem = fs.readFileSync(keyFile, 'utf8');
  } catch {
    pem = undefined;
  }
  if (pem) {
    try {
      return fromPrivatePem(pem);
    } catch {
      // An unreadable key signs nothing: make a new one (tokens signed by the old one stop working).
    }
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  write(keyFile, pem);
  const key = fromPrivatePem(pem);
  write(path.join(dir, 'sa.pub'), key.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  return key;
}
