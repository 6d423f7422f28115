import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Who may use the headless dashboard: only whoever holds this run's secret (the local user, to
// whom `flotilla up` printed it and whose data folder holds it), through a browser that was
// pointed at this very server. Pure functions over request headers, so each rule is testable.

/** 256 random bits, URL-safe: the per-run secret of one dashboard server. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares a presented credential with the secret in constant time (hashing first evens out the lengths). */
export function secretMatches(secret: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(secret).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/**
 * The cookie's name carries the port: cookies are shared by every port of a host, and two
 * `flotilla up` runs on one machine must not overwrite each other's.
 */
export function cookieName(port: number): string {
  return `flotilla_ui_${port}`;
}

/** HttpOnly: scripts never see it. SameSite=Strict: no other site's page makes the browser send it. */
export function sessionCookie(port: number, secret: string): string {
  return `${cookieName(port)}=${secret}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The value of one cookie in a Cookie header, if present (the first one of that name). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * DNS rebinding defence: a page from evil.example whose name was re-pointed at 127.0.0.1 reaches
 * this server with `Host: evil.example`. Only the two names that mean this machine, with our
 * port, are ours.
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

/**
 * For state-changing requests and WebSocket upgrades: a browser names the page's origin; it must
 * be this server as the request addressed it. Absent (a non-browser client with the secret) is
 * fine; `null` (sandboxed frames, file: pages) is not.
 */
export function originAllowed(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${host.toLowerCase()}`;
}

/**
 * Fetch metadata, where the browser sends it: a request another site's page started is refused
 * even before its Origin is looked at.
 */
export function fetchSiteAllowed(secFetchSite: string | undefined): boolean {
  return secFetchSite === undefined || secFetchSite === 'same-origin' || secFetchSite === 'none';
}
