import fs from 'node:fs';
import path from 'node:path';

// What Docker cannot remember for us: which nodes are partitioned. Labels are fixed at creation
// and the iptables rules vanish with a container restart, so the intent is kept in a small file
// in the data folder (or in memory when there is none) and re-applied on start and adoption.

interface StateFile {
  partitioned: string[];
}

export class ClusterState {
  private data: StateFile = { partitioned: [] };

  constructor(private readonly file: string | null) {
    if (!file) return;
    try {
      const loaded = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StateFile>;
      this.data = { partitioned: Array.isArray(loaded.partitioned) ? loaded.partitioned.filter((n) => typeof n === 'string') : [] };
    } catch {
      /* no state yet */
    }
  }

  isPartitioned(node: string): boolean {
    return this.data.partitioned.includes(node);
  }

  setPartitioned(node: string, on: boolean): void {
    const set = new Set(this.data.partitioned);
    if (on) set.add(node);
    else set.delete(node);
    this.data.partitioned = [...set].sort();
    this.save();
  }

  /** Forgets everything (cluster deleted). */
  clear(): void {
    this.data = { partitioned: [] };
    if (this.file) fs.rmSync(this.file, { force: true });
  }

  private save(): void {
    if (!this.file) return;
    // Private like everything in the data folder (see dataFolder.ts).
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    fs.chmodSync(`${this.file}.tmp`, 0o600);
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}
