/**
 * Review: upgrades and tunnels (http1/tunnel.ts, server.ts tunnel()), and the drain on SIGTERM.
 */
import type * as net from 'node:net';
import { within } from './fault-helpers';
import { cleanTmp, request, RunningProxy, sleep } from './helpers';
import { exchange } from './hostile-helpers';
import { Collector, connectRaw, onRequests, proxyFor, ScriptBackend } from './review-helpers';

const H = 'Host: review.test\r\n';
const UPGRADE = `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;

/** A backend that switches protocols on every request and then records the tunnelled bytes. */
function upgrader(host: string, after: (s: net.Socket, tunnelled: () => string) => void): Promise<ScriptBackend> {
  return new ScriptBackend(host, (s) => {
    let buf = '';
    let switched = false;
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (switched) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      switched = true;
      buf = buf.slice(end + 4);
      s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      after(s, () => buf);
    });
  }).start();
}

describe('review: tunnels and the drain', () => {
  let proxy: RunningProxy | undefined;
  let backend: ScriptBackend | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await backend?.stop();
    backend = undefined;
  });
  afterAll(cleanTmp);

  test('after the client half-closes a tunnel, the backend\'s last words still reach it', async () => {
    backend = await upgrader('127.0.0.236', (s, tunnelled) => s.on('end', () => s.end(`bye after ${tunnelled()}`)));
    const p = (proxy = await proxyFor('127.0.0.236', [backend]));
    const c = new Collector(await connectRaw(p.host, p.port, true));
    c.s.write(UPGRADE);
    expect(await c.until((x) => x.text.includes('\r\n\r\n'), 2_000)).toBe(true);
    c.s.write('ping');
    await sleep(100);
    c.s.end();
    await c.until((x) => x.ended, 2_000);
    expect(c.text.slice(c.text.indexOf('\r\n\r\n') + 4)).toBe('bye after ping');
  });

  test('after the backend half-closes a tunnel, what the client still sends reaches the backend', async () => {
    let got = '';
    backend = await upgrader('127.0.0.237', (s, tunnelled) => {
      s.end('last from backend');
      s.on('end', () => (got = tunnelled()));
    });
    const p = (proxy = await proxyFor('127.0.0.237', [backend]));
    const c = new Collector(await connectRaw(p.host, p.port, true));
    c.s.write(UPGRADE);
    expect(await c.until((x) => x.ended, 2_000)).toBe(true);
    expect(c.text).toMatch(/last from backend$/);
    c.s.end('still talking');
    await c.until(() => got !== '', 2_000);
    expect(got).toBe('still talking');
  });

  test('bytes a client sends right behind its upgrade head reach the backend after the head, once', async () => {
    let got = '';
    backend = await upgrader('127.0.0.238', (s, tunnelled) => s.on('data', () => (got = tunnelled())));
    const p = (proxy = await proxyFor('127.0.0.238', [backend]));
    const c = new Collector(await connectRaw(p.host, p.port));
    c.s.write(UPGRADE + 'EARLY-FRAME');
    await c.until(() => got.length > 0, 2_000);
    await sleep(50);
    c.s.destroy();
    expect(got).toBe('EARLY-FRAME');
    expect(c.text).toMatch(/^HTTP\/1\.1 101 /);
  });

  test('a refused upgrade (a 200) is answered and then the client connection closes: its later bytes are never parsed', async () => {
    const heads: string[] = [];
    backend = await new ScriptBackend('127.0.0.239', (s) =>
      onRequests(s, (head) => {
        heads.push(head.split('\r\n')[0]);
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nno\n');
      }),
    ).start();
    const p = (proxy = await proxyFor('127.0.0.239', [backend]));
    const x = await exchange(p.host, p.port, [UPGRADE, { pauseMs: 100 }, `GET /after HTTP/1.1\r\n${H}\r\n`], { maxMs: 2_000 });
    expect(x.responses.map((r) => r.status)).toEqual([200]);
    expect(x.closed).toBe(true);
    expect(heads).toEqual(['GET /ws HTTP/1.1']);
  });

  test('SIGTERM: the in-flight answer ends with Connection: close, idle keep-alive clients are closed, open tunnels are closed at drainMs, exit 0', async () => {
    backend = await new ScriptBackend('127.0.0.240', (s) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        if (head.startsWith('GET /ws ')) s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
        else if (head.startsWith('GET /slow ')) setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nslow\n'), 600);
        else s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfast\n');
      });
    }).start();
    const p = (proxy = await proxyFor('127.0.0.240', [backend], { shutdownDelayMs: 300, drainMs: 1_000 }));
    const idle = new Collector(await connectRaw(p.host, p.port));
    idle.s.write(`GET /fast HTTP/1.1\r\n${H}\r\n`);
    expect(await idle.until((x) => x.text.endsWith('fast\n'), 2_000)).toBe(true);
    const tunnel = new Collector(await connectRaw(p.host, p.port));
    tunnel.s.write(UPGRADE);
    expect(await tunnel.until((x) => x.text.includes(' 101 '), 2_000)).toBe(true);
    const slow = new Collector(await connectRaw(p.host, p.port));
    slow.s.write(`GET /slow HTTP/1.1\r\n${H}\r\n`);
    await sleep(50);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    expect(await slow.until((x) => x.closed, 3_000)).toBe(true);
    expect(slow.text).toMatch(/^HTTP\/1\.1 200[^]*\r\nconnection: close\r\n[^]*slow\n$/i);
    expect(await idle.until((x) => x.closed, 2_000)).toBe(true);
    expect(await tunnel.until((x) => x.closed, 3_000)).toBe(true);
    const tunnelClosedAfter = Date.now() - t0;
    expect(await within(p.exited, 3_000, 'exit')).toBe(0);
    expect(tunnelClosedAfter).toBeGreaterThanOrEqual(1_000);
    await expect(request(p.host, p.port, '/refused')).rejects.toThrow();
  }, 15_000);
});
