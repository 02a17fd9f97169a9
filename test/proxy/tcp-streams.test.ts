/**
 * TCP (L4) mode through the real bundle: what happens inside one connection (half-close both ways, the idle timeout,
 * backpressure, the access log) and the SIGTERM drain.
 */
import * as net from 'node:net';
import { cleanTmp, get, sleep, waitFor } from './helpers';
import { connectClient, metric, startTcpBackend, startTcpProxy, TcpBackend, TcpHandler, TcpProxy, tcpSource } from './tcp-helpers';

const HOST = '127.0.0.44';

describe('TCP mode: streams and drain', () => {
  let backends: TcpBackend[] = [];
  let proxy: TcpProxy | undefined;

  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  });
  afterAll(cleanTmp);

  async function setup(handler: TcpHandler, extra: object = {}): Promise<TcpProxy> {
    backends = [await startTcpBackend(HOST, handler)];
    proxy = await startTcpProxy({ upstream: { port: 1, sources: [tcpSource(backends)] }, ...extra });
    return proxy;
  }

  test('half-close: the client ends its writes and still receives the reply to all it sent', async () => {
    // Reads until the client's FIN, then answers with the byte count: only possible if the FIN came through alone.
    const p = await setup((s) => {
      let n = 0;
      s.on('data', (d: Buffer) => (n += d.length));
      s.on('end', () => setTimeout(() => s.end(`got ${n} bytes\n`), 50));
    });
    const c = connectClient(p.port, { allowHalfOpen: true });
    c.socket.write('x'.repeat(100_000));
    c.socket.end();
    expect(await c.closed).toBe('end');
    expect(c.data()).toBe('got 100000 bytes\n');
  });

  test('half-close: the backend ends first and the client can still send to it', async () => {
    let received = '';
    let backendGotEnd!: () => void;
    const gotAll = new Promise<void>((resolve) => (backendGotEnd = resolve));
    const p = await setup((s) => {
      s.end('bye\n');
      s.on('data', (d: Buffer) => (received += d.toString()));
      s.on('end', () => backendGotEnd());
    });
    const c = connectClient(p.port, { allowHalfOpen: true });
    await c.ended;
    expect(c.data()).toBe('bye\n');
    c.socket.write('still here\n');
    await sleep(50);
    c.socket.end('and done\n');
    await gotAll;
    expect(received).toBe('still here\nand done\n');
    expect(await c.closed).toBe('end');
  });

  test('idle timeout: no byte either way for idleMs closes both sides; a connection with traffic stays open', async () => {
    const p = await setup((s, b) => {
      s.write(`${b.name}\n`);
      s.pipe(s);
    }, { timeouts: { idleMs: 300 } });
    const idle = connectClient(p.port);
    const busy = connectClient(p.port);
    await Promise.all([idle.greeting, busy.greeting]);
    const t0 = Date.now();
    const ticker = setInterval(() => busy.socket.write('.'), 50);
    try {
      expect(await idle.closed).toBe('end');
      const after = Date.now() - t0;
      expect(after).toBeGreaterThanOrEqual(280);
      expect(after).toBeLessThan(2_000);
      await sleep(400);
      expect(busy.socket.destroyed).toBe(false);
    } finally {
      clearInterval(ticker);
      busy.socket.destroy();
    }
    await waitFor(() => backends[0].open.size === 0, 2_000, 'the backend sockets closed');
  });

  test('backpressure: a client that does not read stops the backend, and gets every byte once it reads', async () => {
    const total = 48 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    let stalledAt = -1;
    const p = await setup((s) => {
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!s.write(chunk)) {
            if (stalledAt < 0) stalledAt = written;
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    });
    const c = net.connect(p.port, '127.0.0.1');
    c.on('error', () => undefined);
    c.pause();
    await sleep(800);
    // Kernel buffers on three sockets and the proxy's own high-water marks hold a few MB, not the whole stream.
    expect(stalledAt).toBeGreaterThan(0);
    expect(written).toBeLessThan(total / 2);
    let got = 0;
    c.on('data', (d: Buffer) => (got += d.length));
    c.resume();
    await new Promise((resolve) => c.on('close', resolve));
    expect(got).toBe(total);
  });

  test('access log: one line per connection with the endpoint, bytes both ways and the result', async () => {
    const p = await setup((s) => {
      s.on('data', () => undefined);
      s.on('end', () => s.end('four'));
    }, { logging: { accessLog: true } });
    const c = connectClient(p.port, { allowHalfOpen: true });
    c.socket.end('hello');
    expect(await c.closed).toBe('end');
    await waitFor(() => p.stdout().includes('"msg":"access"'), 2_000, 'access log line');
    const line = JSON.parse(p.stdout().split('\n').find((l) => l.includes('"msg":"access"')) as string);
    expect(line).toMatchObject({ protocol: 'tcp', result: 'proxied', endpoint: `${HOST}:${backends[0].port}`, tries: 1, rx: 5, tx: 4 });
  });

  test('SIGTERM: an open connection survives the delay and finishes, new connects work during it and are refused after; exit 0', async () => {
    const p = await setup((s, b) => {
      s.write(`${b.name}\n`);
      s.pipe(s);
    }, { shutdownDelayMs: 800, drainMs: 5_000 });
    const c = connectClient(p.port);
    await c.greeting;
    const signalled = Date.now();
    p.child.kill('SIGTERM');
    await waitFor(async () => (await get(p.host, p.adminPort, '/readyz')).status === 503, 500, 'not ready at once');
    const during = connectClient(p.port);
    expect(await during.greeting).toBe(HOST);
    during.socket.end();
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(p.port, p.host);
        s.on('connect', () => (s.destroy(), resolve(false)));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      });
    await waitFor(refused, 3_000, 'the listener closed after the delay');
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(780);
    // The open connection still carries bytes both ways, then ends cleanly.
    c.socket.write('after the delay\n');
    await waitFor(() => c.data().includes('after the delay\n'), 2_000, 'echo after the delay');
    c.socket.end();
    expect(await c.closed).toBe('end');
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain('"clean":true');
  });

  test('SIGTERM: a connection still open when drainMs ends is closed, and the proxy exits 0 unclean', async () => {
    const p = await setup((s, b) => {
      s.write(`${b.name}\n`);
      s.pipe(s);
    }, { drainMs: 300, timeouts: { idleMs: 60_000 } });
    const c = connectClient(p.port);
    await c.greeting;
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain('"clean":false');
    await waitFor(() => backends[0].open.size === 0, 2_000, 'backend socket closed');
  });

  test('metrics: open connections are a gauge while they last', async () => {
    const p = await setup((s, b) => {
      s.write(`${b.name}\n`);
      s.pipe(s);
    });
    const cs = [connectClient(p.port), connectClient(p.port)];
    await Promise.all(cs.map((c) => c.greeting));
    expect(await metric(p, 'lb_downstream_cx_active')).toBe(2);
    cs.forEach((c) => c.socket.end());
    await Promise.all(cs.map((c) => c.closed));
    await waitFor(async () => (await metric(p, 'lb_downstream_cx_active')) === 0, 2_000, 'gauge back to 0');
    expect(await metric(p, 'lb_downstream_cx_total{result="proxied"}')).toBe(2);
  });
});
