import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnUp, type UpGroup } from '../helpers/cliProcess.js';
import { skipWithout } from '../helpers/requirements.js';

// The headless dashboard in a real browser (Debian's Chromium) against `flotilla up`: open the URL
// it prints, and the app renders what the control plane told it. Screenshots go to the test
// output folder ($FLOTILLA_TEST_OUTPUT, else <tmp>/flotilla-test-output) for a person to look at.

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RENDERER = path.resolve(__dirname, '../../out/renderer/index.html');
/** The launch options of ../shared/ENVIRONMENT.md: no sandbox (root), nothing that calls home. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT = path.join(process.env.FLOTILLA_TEST_OUTPUT ?? path.join(os.tmpdir(), 'flotilla-test-output'), 'dashboard');

const noBrowser = skipWithout(`Chromium at ${CHROMIUM} (apt-get install -y chromium)`, fs.existsSync(CHROMIUM));
const noBuild = skipWithout('the built renderer, out/renderer (npm run build)', fs.existsSync(RENDERER));

/** playwright-core, when installed: loaded by name at run time so that its absence only skips. */
interface Playwright {
  chromium: { launch(o: { executablePath: string; args: string[] }): Promise<Browser> };
}
interface Browser {
  newContext(): Promise<Context>;
  close(): Promise<void>;
}
interface Context {
  newPage(): Promise<Page>;
  cookies(): Promise<{ name: string; value: string; httpOnly: boolean; sameSite: string }[]>;
}
interface Page {
  goto(url: string): Promise<{ status(): number } | null>;
  url(): string;
  getByTestId(id: string): { textContent(): Promise<string | null>; waitFor(): Promise<void> };
  evaluate<T>(fn: () => T): Promise<T>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
}
async function loadPlaywright(): Promise<Playwright | undefined> {
  const name = 'playwright-core';
  try {
    return (await import(/* @vite-ignore */ name)) as Playwright;
  } catch {
    return undefined;
  }
}
const playwright = await loadPlaywright();
const noPlaywright = skipWithout('playwright-core (a devDependency)', playwright !== undefined);

let up: UpGroup;
let url: string;
let profiles: string;

beforeAll(async () => {
  if (noBrowser || noBuild) return;
  fs.mkdirSync(OUTPUT, { recursive: true });
  profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-chromium-'));
  up = spawnUp(['--data', path.join(profiles, 'data'), '--nodes', '0'], { ui: true, timeoutMs: 20_000 });
  await up.serving;
  url = /Dashboard: (\S+)/.exec(up.output())![1]!;
}, 30_000);

afterAll(async () => {
  await up?.stop();
  if (profiles) fs.rmSync(profiles, { recursive: true, force: true });
});

function apiUrl(): string {
  return /API server: (\S+)/.exec(up.output())![1]!;
}

/** One headless Chromium run on a fresh profile; `extra` says what to produce. */
function chromium(extra: string[], target: string): Promise<string> {
  const profile = fs.mkdtempSync(path.join(profiles, 'profile-'));
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--window-size=1000,600', ...extra, target], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe.skipIf(noBrowser || noBuild)('the dashboard in Chromium', () => {
  it('opens from the printed URL (token, cookie, redirect) and shows the cluster', async () => {
    // Virtual time lets the page's calls finish before the DOM is taken; no wall-clock wait.
    const dom = await chromium(['--virtual-time-budget=10000', '--dump-dom'], url);
    expect(dom).toContain('data-state="running"');
    expect(dom).toContain(apiUrl());
    expect(dom).toContain('Connected through the browser (headless mode)');
    const shot = path.join(OUTPUT, 'headless-overview.png');
    await chromium(['--virtual-time-budget=10000', `--screenshot=${shot}`], url);
    expect(fs.statSync(shot).size).toBeGreaterThan(1000);
    console.log(`dashboard screenshot: ${shot}`);
  }, 120_000);

  it('without the token the browser gets no app', async () => {
    const dom = await chromium(['--virtual-time-budget=5000', '--dump-dom'], new URL(url).origin + '/');
    expect(dom).not.toContain('id="app"');
    expect(dom).toContain('401');
  }, 120_000);

  describe.skipIf(noPlaywright)('driven by playwright-core', () => {
    it('trades the token for an HttpOnly, SameSite=Strict cookie, drops it from the address bar, renders the cluster', async () => {
      const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => a !== '--headless') });
      try {
        const context = await browser.newContext();
        const page = await context.newPage();
        const res = await page.goto(url);
        expect(res?.status()).toBe(200);
        expect(page.url()).toBe(`${new URL(url).origin}/`);
        const [cookie] = await context.cookies();
        expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', value: new URL(url).searchParams.get('token') });
        // HttpOnly: the page's own scripts cannot read the secret.
        expect(await page.evaluate(() => document.cookie)).toBe('');
        await page.getByTestId('api-url').waitFor();
        expect(await page.getByTestId('api-url').textContent()).toContain(apiUrl());
        expect(await page.getByTestId('control-plane-status').textContent()).toContain('running');
        await page.screenshot({ path: path.join(OUTPUT, 'playwright-overview.png'), fullPage: true });

        const stranger = await (await browser.newContext()).newPage();
        expect((await stranger.goto(`${new URL(url).origin}/`))?.status()).toBe(401);
      } finally {
        await browser.close();
      }
    }, 120_000);
  });
});
