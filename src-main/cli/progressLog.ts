import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR_MODE, DATA_FILE_MODE } from '../dataFolder.js';

// The full output of the last image build (every debootstrap, tar, docker and gcc line, each
// stage and note), kept in the data folder so that a failed or slow first start can be looked
// into after the fact. Like everything in the data folder, only its owner may read it.

/** Where `flotilla up` keeps the build log of a data folder. */
export function buildLogPath(dataDir: string): string {
  return path.join(dataDir, 'logs', 'image-build.log');
}

/** A log file opened on the first line written; each `flotilla up` that builds starts it afresh. */
export class BuildLogFile {
  private fd: number | undefined;
  private broken = false;

  constructor(readonly file: string) {}

  write(line: string): void {
    if (this.broken) return;
    try {
      if (this.fd === undefined) this.fd = this.open();
      fs.writeSync(this.fd, `${line}\n`);
    } catch {
      // A full disk or a read-only data folder must not stop the cluster from starting.
      this.broken = true;
    }
  }

  /** True when the file holds this run's lines. */
  get written(): boolean {
    return this.fd !== undefined && !this.broken;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
    fs.chmodSync(dir, DATA_DIR_MODE);
    const fd = fs.openSync(this.file, 'w', DATA_FILE_MODE);
    // open()'s mode only applies to a new file: narrow one left by an older version too.
    fs.fchmodSync(fd, DATA_FILE_MODE);
    return fd;
  }
}
