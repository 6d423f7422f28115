import http from 'node:http';
import { uiApiPath } from '../desktop/ipcChannels.js';
import { cookieName } from './access.js';

/**
 * True when the server at `url` (a dashboard URL with its `?token=`) is the dashboard holding
 * that secret, and not, say, another program that took the port of a stopped one.
 */
export function dashboardAnswers(url: string, timeoutMs = 5_000): Promise<boolean> {
  const u = new URL(url);
  const secret = u.searchParams.get('token') ?? '';
  return new Promise((resolve) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method: 'POST', path: uiApiPath('app:version'), headers: { Cookie: `${cookieName(Number(u.port))}=${secret}` }, timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
