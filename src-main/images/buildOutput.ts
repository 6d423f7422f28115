// Reads the build tools' own output for how far they are. Pure functions of the lines, so the
// parsing is tested on recorded output without running the tools.

/** A stage as read from a tool's output: its name and, where the tool tells, a count. */
export interface StageReading {
  name: string;
  done?: number;
  total?: number;
  unit?: 'packages' | 'steps';
}

/** `Step 3/7 : RUN apt-get ...` of the engine's (legacy builder) build stream. */
export function dockerBuildStep(line: string): { step: number; total: number; instruction: string } | undefined {
  const m = /^Step (\d+)\/(\d+) : (.*)$/.exec(line.trim());
  return m ? { step: Number(m[1]), total: Number(m[2]), instruction: m[3]! } : undefined;
}

export const DEBOOTSTRAP_STAGES = {
  resolving: 'debootstrap: resolving packages',
  downloading: 'debootstrap: downloading',
  extracting: 'debootstrap: extracting',
  unpackingRequired: 'debootstrap: unpacking (required)',
  configuringRequired: 'debootstrap: configuring (required)',
  unpackingBase: 'debootstrap: unpacking (base system)',
  configuringBase: 'debootstrap: configuring (base system)',
} as const;

/**
 * Follows debootstrap's `I:` lines. It never prints how many packages it will fetch, but it
 * prints one `Retrieving NAME VERSION` per package and one `Extracting NAME...` per required
 * package, then installs in two rounds, each unpacking then configuring: the required packages
 * (those extracted), then the rest of the base system (downloaded less required). So each
 * round's total is known by the time it starts. A few packages are configured twice; a count
 * stops at its total.
 */
export class DebootstrapProgress {
  private downloaded = 0;
  private extracted = 0;
  private round: 'required' | 'base' = 'required';
  private unpacked = 0;
  private configured = 0;

  /** The stage this line belongs to with its count, or undefined for lines that change nothing. */
  read(line: string): StageReading | undefined {
    const text = line.trim();
    const S = DEBOOTSTRAP_STAGES;
    // The release and package indexes come first; then the dependency resolution.
    if (/^I: (Retrieving (InRelease|Release|Release\.gpg|Packages)\b|Checking Release|Valid Release|Validating Packages|Resolving dependencies|Checking component|Target architecture)/.test(text)) {
      return { name: S.resolving };
    }
    if (/^I: Retrieving \S+ \S+$/.test(text)) return { name: S.downloading, done: ++this.downloaded, unit: 'packages' };
    if (/^I: Extracting \S+?\.\.\.$/.test(text)) return { name: S.extracting, done: ++this.extracted, unit: 'packages' };
    const header = /^I: (Installing core packages|Unpacking required packages|Unpacking the base system|Configuring required packages|Configuring the base system)\.\.\./.exec(text);
    if (header) {
      if (header[1] === 'Unpacking the base system') this.round = 'base';
      if (header[1]!.startsWith('Unpacking') || header[1]!.startsWith('Installing')) this.unpacked = 0;
      else this.configured = 0;
      return header[1]!.startsWith('Configuring') ? this.configuring() : this.unpacking();
    }
    if (/^I: Unpacking \S+/.test(text)) {
      this.unpacked++;
      return this.unpacking();
    }
    if (/^I: Configuring \S+/.test(text)) {
      this.configured++;
      return this.configuring();
    }
    return undefined;
  }

  private unpacking(): StageReading {
    const name = this.round === 'required' ? DEBOOTSTRAP_STAGES.unpackingRequired : DEBOOTSTRAP_STAGES.unpackingBase;
    return this.counted(name, this.unpacked);
  }

  private configuring(): StageReading {
    const name = this.round === 'required' ? DEBOOTSTRAP_STAGES.configuringRequired : DEBOOTSTRAP_STAGES.configuringBase;
    return this.counted(name, this.configured);
  }

  private counted(name: string, done: number): StageReading {
    const total = this.round === 'required' ? this.extracted : this.downloaded - this.extracted;
    return total > 0 ? { name, done: Math.min(done, total), total, unit: 'packages' } : { name, done, unit: 'packages' };
  }
}
