import { accessSync, constants } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The Node.js binary to copy into an offline base: the one given, else this process's own
 * executable when it is Node (in Electron, process.execPath is Electron), else `node` on PATH.
 * It must be a Linux binary for the engine's architecture, so this only works on Linux hosts.
 */
export async function hostNodeBinary(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (process.platform !== 'linux') {
    throw new Error(`this ${process.platform} host has no Linux Node.js binary to put in an offline base`);
  }
  let candidate = explicit;
  if (!candidate && !process.versions.electron) candidate = process.execPath;
  if (!candidate) {
    for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      const file = path.join(dir, 'node');
      try {
        accessSync(file, constants.X_OK);
        candidate = file;
        break;
      } catch {
        // not here
      }
    }
  }
  if (!candidate) throw new Error('no Node.js binary found for the offline base: set FLOTILLA_NODE_BINARY');
  return realpath(candidate);
}
