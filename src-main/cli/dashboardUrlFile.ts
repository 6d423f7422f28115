import fs from 'node:fs';
import path from 'node:path';
import { DATA_FILE_MODE } from '../dataFolder.js';

// The running dashboard's URL, secret included, where `flotilla dashboard` finds it: in the data
// folder (0700), in a file only its owner may read, present only while its `flotilla up` runs.

export function dashboardUrlPath(dataDir: string): string {
  return path.join(dataDir, 'dashboard-url');
}

export function writeDashboardUrl(dataDir: string, url: string): void {
  const file = dashboardUrlPath(dataDir);
  const tmp = `${file}.tmp-${process.pid}`;
  // Written whole and renamed into place, so a reader never sees half a URL; 0600 from creation on.
  const fd = fs.openSync(tmp, 'w', DATA_FILE_MODE);
  try {
    fs.fchmodSync(fd, DATA_FILE_MODE);
    fs.writeSync(fd, `${url}\n`);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function readDashboardUrl(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(dashboardUrlPath(dataDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function removeDashboardUrl(dataDir: string): void {
  fs.rmSync(dashboardUrlPath(dataDir), { force: true });
}
