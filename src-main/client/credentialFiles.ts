import fs from 'node:fs';

// How components take credentials from their environment: a PEM either inline or as a path, and
// token files that may be absent. One copy for the kubelet, kube-proxy and in-cluster clients.

/** PEM text as given, or the contents of the file it names; undefined when unset. */
export function pemOrFile(v: string | undefined): string | undefined {
  if (!v) return undefined;
  return v.includes('-----BEGIN') ? v : fs.readFileSync(v, 'utf8');
}

/** A file's trimmed contents, or undefined when no path is given or nothing is there. */
export function readIfPresent(file: string | undefined): string | undefined {
  return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}
