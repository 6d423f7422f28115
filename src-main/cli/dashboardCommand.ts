import { spawn } from 'node:child_process';
import { dashboardAnswers } from '../dashboard/probe.js';
import { readDashboardUrl } from './dashboardUrlFile.js';

// `flotilla dashboard`: prints the URL of the dashboard that the `flotilla up` of a data folder
// serves, and opens it in the user's browser when there is a desktop to open it on.

export async function dashboardCommand(dataDir: string, out: (line: string) => void): Promise<void> {
  const url = readDashboardUrl(dataDir);
  if (!url) throw new Error(`no dashboard is running for ${dataDir}: start one with 'flotilla up --data ${dataDir}' (without --no-ui)`);
  if (!(await dashboardAnswers(url))) throw new Error(`the dashboard of ${dataDir} does not answer at ${new URL(url).origin} (is its 'flotilla up' still running?)`);
  out(`Dashboard: ${url}`);
  if (openInBrowser(url)) out('(opening it in your browser)');
}

/**
 * Hands the URL to the desktop's opener, if there is a desktop; returns whether it tried. It never
 * fails: with no opener installed, the printed URL is the way in.
 */
function openInBrowser(url: string): boolean {
  let cmd: string;
  let args: string[];
  if (process.platform === 'darwin') [cmd, args] = ['open', [url]];
  else if (process.platform === 'win32') [cmd, args] = ['cmd', ['/c', 'start', '""', url]];
  else if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) [cmd, args] = ['xdg-open', [url]];
  else return false;
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
