/**
 * TLS at the gateway and to the endpoints, through the real bundle: the mounted Secret's certificate and its rotation
 * under live connections, versions, ALPN, the handshake timeout, startup errors, and upstream TLS with a CA and SNI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Backend,
  BUNDLE,
  cleanTmp,
  endpointsDump,
  get,
  PROXY_NODE,
  request,
  RunningProxy,
  sleep,
  startBackend,
  startProxy,
  staticSource,
  tmpFile,
  waitFor,
} from './helpers';
import { handshake, httpsGet, makePki, Pki, sample, SecretMount, startTlsBackend, startTlsProxy, TlsBackend } from './tls-helpers';

let pki: Pki;
let root: string;
let proxy: RunningProxy | undefined;
let backends: (Backend | TlsBackend)[] = [];

beforeAll(() => {
  pki = makePki();
  root = mkdtempSync(join(tmpdir(), 'lb-tls-mounts-'));
});
afterEach(async () => {
  await proxy?.stop('SIGKILL');
  proxy = undefined;
  await Promise.all(backends.map((b) => b.close()));
  backends = [];
});
afterAll(() => {
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
  cleanTmp();
});

const metrics = async (p: RunningProxy): Promise<string> => (await get(p.host, p.adminPort, '/metrics')).body;

/** A plain HTTP backend on 127.0.0.31 and a proxy with a TLS listener serving gateway-a from a Secret mount. */
async function gateway(tls: object = {}, extra: object = {}): Promise<{ p: RunningProxy; mount: SecretMount }> {
  const mount = new SecretMount(root);
  mount.write(pki.gatewayA.cert, pki.gatewayA.key);
  const b = await startBackend('127.0.0.31', (req, res) => {
    req.resume();
    const send = () => res.setHeader('x-backend', 'b31').end('b31\n');
    if (req.url === '/slow') setTimeout(send, 800);
    else send();
  });
  backends.push(b);
  proxy = await startTlsProxy(
    { upstream: { port: 1, sources: [staticSource([b])] }, ...extra },
    { certFile: mount.certFile, keyFile: mount.keyFile, reloadCheckMs: 200, ...tls },
  );
  return { p: proxy, mount };
}

describe('TLS on the listener', () => {
  test('serves HTTP/1.1 over TLS with the mounted certificate and exports its expiry', async () => {
    const { p, mount } = await gateway();
    const h = await handshake(p.port, pki.ca);
    expect(h).toMatchObject({ ok: true, subject: 'gateway-a' });
    const r = await httpsGet(p.port, '/', pki.ca);
    expect(r).toMatchObject({ status: 200, body: 'b31\n' });
    expect((backends[0] as Backend).seen[0].headers['x-forwarded-proto']).toBe('https');
    expect(p.stdout()).toMatch(/"msg":"listener TLS: serving the mounted certificate".*"subject":"CN=gateway-a"/);
    const expiry = sample(await metrics(p), 'lb_tls_cert_not_after_seconds', `cert_file="${mount.certFile}"`);
    // The certificate was made for 2 days.
    expect(expiry - Date.now() / 1000).toBeGreaterThan(86_400);
    expect(expiry - Date.now() / 1000).toBeLessThan(3 * 86_400);
  });

  test('rotates the certificate with keep-alive connections open: none dropped, new handshakes get the new one', async () => {
    const { p, mount } = await gateway();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 3 });
    try {
      const first = await Promise.all([0, 1, 2].map(() => httpsGet(p.port, '/', pki.ca, agent)));
      const sockets = new Set(first.map((r) => r.socket));
      expect(sockets.size).toBe(3);
      let closed = 0;
      for (const s of sockets) {
        expect(s.getPeerCertificate().subject.CN).toBe('gateway-a');
        s.on('close', () => closed++);
      }
      const inFlight = httpsGet(p.port, '/slow', pki.ca, agent); // spans the rotation
      mount.write(pki.gatewayB.cert, pki.gatewayB.key);
      await waitFor(async () => (await handshake(p.port, pki.ca)).subject === 'gateway-b', 5_000, 'a handshake with gateway-b');
      expect(await inFlight).toMatchObject({ status: 200, reused: true });
      const second = await Promise.all([0, 1, 2].map(() => httpsGet(p.port, '/', pki.ca, agent)));
      for (const r of second) {
        expect(r.status).toBe(200);
        expect(sockets.has(r.socket)).toBe(true);
        expect(r.socket.getPeerCertificate().subject.CN).toBe('gateway-a');
      }
      expect(closed).toBe(0);
      const m = await metrics(p);
      expect(sample(m, 'lb_tls_reload_total', 'source="listener",result="ok"')).toBe(1);
      expect(sample(m, 'lb_tls_reload_total', 'source="listener",result="error"')).toBe(0);
      // The rotated context keeps the minimum version.
      const old = await handshake(p.port, pki.ca, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      expect(old).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    } finally {
      agent.destroy();
    }
  });

  test('keeps the old pair when a new one does not match, reports that once, and takes a later good pair', async () => {
    const { p, mount } = await gateway();
    mount.write(pki.gatewayB.cert, pki.gatewayA.key);
    await waitFor(async () => sample(await metrics(p), 'lb_tls_reload_total', 'source="listener",result="error"') === 1, 5_000, 'a refused reload');
    expect(await handshake(p.port, pki.ca)).toMatchObject({ ok: true, subject: 'gateway-a' });
    expect(p.stdout()).toContain(mount.certFile);
    expect(p.stdout()).toContain('KEY_VALUES_MISMATCH');
    await sleep(800); // four more checks of the same bad pair
    expect(sample(await metrics(p), 'lb_tls_reload_total', 'source="listener",result="error"')).toBe(1);
    mount.write(pki.gatewayB.cert, pki.gatewayB.key);
    await waitFor(async () => (await handshake(p.port, pki.ca)).subject === 'gateway-b', 5_000, 'a handshake with gateway-b');
    expect(sample(await metrics(p), 'lb_tls_reload_total', 'source="listener",result="ok"')).toBe(1);
  });

  test('refuses TLS 1.0 and 1.1 with a protocol_version alert; the same client with TLS 1.2 connects', async () => {
    const { p } = await gateway();
    const legacy = { ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    for (const v of ['TLSv1', 'TLSv1.1'] as const) {
      const h = await handshake(p.port, pki.ca, { ...legacy, minVersion: v, maxVersion: v });
      expect(h).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    }
    const modern = await handshake(p.port, pki.ca, { ...legacy, minVersion: 'TLSv1', maxVersion: 'TLSv1.2' });
    expect(modern).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    await waitFor(async () => sample(await metrics(p), 'lb_downstream_tls_handshake_error_total', 'reason="protocol-version"') === 2, 2_000, 'two version refusals counted');
  });

  test('with minVersion TLSv1.3, refuses TLS 1.2', async () => {
    const { p } = await gateway({ minVersion: 'TLSv1.3' });
    expect(await handshake(p.port, pki.ca, { maxVersion: 'TLSv1.2' })).toMatchObject({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    expect(await handshake(p.port, pki.ca)).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  test('ALPN: h2 for a client that offers it, http/1.1 (and a working request) for one that offers only http/1.1', async () => {
    const { p } = await gateway();
    expect(await handshake(p.port, pki.ca, { ALPNProtocols: ['http/1.1', 'h2'] })).toMatchObject({ ok: true, alpn: 'h2' });
    expect(await handshake(p.port, pki.ca, { ALPNProtocols: ['http/1.1'] })).toMatchObject({ ok: true, alpn: 'http/1.1' });
    const r = await httpsGet(p.port, '/', pki.ca, false, ['http/1.1']);
    expect(r).toMatchObject({ status: 200, body: 'b31\n' });
    expect(r.socket.alpnProtocol).toBe('http/1.1');
    // No ALPN at all: HTTP/1.1.
    expect(await httpsGet(p.port, '/', pki.ca)).toMatchObject({ status: 200 });
  });

  test('serves h2 clients over TLS: each stream is proxied, and the endpoint sees X-Forwarded-Proto https', async () => {
    const { p } = await gateway();
    const c = http2.connect(`https://127.0.0.1:${p.port}`, { ca: pki.ca, servername: 'localhost' });
    c.on('error', () => undefined);
    try {
      const replies = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<{ status: number; body: string }>((resolve, reject) => {
              const st = c.request({ ':path': '/' });
              let status = 0;
              let body = '';
              st.on('response', (h) => (status = Number(h[':status'])));
              st.on('data', (d: Buffer) => (body += d.toString()));
              st.on('end', () => resolve({ status, body }));
              st.on('error', reject);
            }),
        ),
      );
      expect(replies).toEqual([0, 1, 2].map(() => ({ status: 200, body: 'b31\n' })));
      expect((c.socket as tls.TLSSocket).alpnProtocol).toBe('h2');
      const b = backends[0] as Backend;
      expect(b.seen.map((s) => s.headers['x-forwarded-proto'])).toEqual(['https', 'https', 'https']);
    } finally {
      c.destroy();
    }
  });

  test('cuts a client that never finishes its handshake after headersMs', async () => {
    const { p } = await gateway({}, { timeouts: { headersMs: 300 } });
    const t0 = Date.now();
    const s = net.connect(p.port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((resolve) => s.on('close', resolve));
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3_000);
    expect(sample(await metrics(p), 'lb_downstream_tls_handshake_error_total', 'reason="timeout"')).toBe(1);
  });

  test('SIGTERM: a client stuck in its handshake does not hold the exit', async () => {
    const { p } = await gateway({}, { timeouts: { headersMs: 10_000 } });
    const s = net.connect(p.port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((resolve) => s.on('connect', resolve));
    await sleep(100);
    const t0 = Date.now();
    expect(await p.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000);
    s.destroy();
  });

  test('fails to start when the certificate file is missing, naming the file and the Secret keys', async () => {
    const missing = join(root, 'nowhere', 'tls.crt');
    proxy = await startTlsProxy({ upstream: { port: 1, sources: [{ kind: 'static', endpoints: [{ address: '127.0.0.31' }] }] } }, { certFile: missing, keyFile: join(root, 'nowhere', 'tls.key') }, { waitReady: false });
    expect(await proxy.exited).toBe(2);
    expect(proxy.stderr()).toContain(missing);
    expect(proxy.stderr()).toContain('ENOENT');
    expect(proxy.stderr()).toMatch(/kubernetes\.io\/tls Secret \(keys tls\.crt and tls\.key\)/);
  });

  test('fails to start when the key does not match the certificate', async () => {
    const mount = new SecretMount(root);
    mount.write(pki.gatewayA.cert, pki.gatewayB.key);
    proxy = await startTlsProxy({ upstream: { port: 1, sources: [{ kind: 'static', endpoints: [{ address: '127.0.0.31' }] }] } }, { certFile: mount.certFile, keyFile: mount.keyFile }, { waitReady: false });
    expect(await proxy.exited).toBe(2);
    expect(proxy.stderr()).toContain(`${mount.certFile} and ${mount.keyFile} are not a usable certificate and key`);
    expect(proxy.stderr()).toContain('KEY_VALUES_MISMATCH');
  });
});

describe('TLS to the endpoints', () => {
  const upstream = (bs: TlsBackend[], tls: object) => ({ upstream: { port: 1, sources: [staticSource(bs as never)], tls } });

  test('connects with the CA bundle, sends serverName as SNI and offers ALPN http/1.1', async () => {
    const b = await startTlsBackend('127.0.0.41', pki.backend);
    backends.push(b);
    proxy = await startProxy(upstream([b], { caFile: pki.caFile, serverName: 'backend.test' }) as never);
    const r = await request(proxy.host, proxy.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('127.0.0.41\n');
    expect(b.handshakes).toEqual([{ servername: 'backend.test', alpn: 'http/1.1' }]);
    // Keep-alive: the next request reuses the TLS connection.
    expect((await request(proxy.host, proxy.port, '/')).status).toBe(200);
    expect(b.handshakes).toHaveLength(1);
  });

  test('HTTP/2 endpoints over TLS: ALPN h2, the CA bundle and SNI; one session carries the requests', async () => {
    const handshakes: { servername: string | false; alpn: string | false }[] = [];
    const server = http2.createSecureServer({ ...pki.backend }, (req, res) => {
      req.resume();
      req.on('end', () => res.end(`h2 ${req.headers[':scheme']} ${req.headers[':authority']}\n`));
    });
    server.on('secureConnection', (t: tls.TLSSocket & { servername?: string | false }) =>
      handshakes.push({ servername: t.servername ?? false, alpn: t.alpnProtocol ?? false }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.42', () => resolve()));
    const b = { host: '127.0.0.42', port: (server.address() as net.AddressInfo).port, handshakes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    backends.push(b);
    proxy = await startProxy(upstream([b], { caFile: pki.caFile, serverName: 'backend.test' }) as never, { listener: { protocol: 'http2' } });
    for (let i = 0; i < 3; i++) {
      const r = await request(proxy.host, proxy.port, '/', { headers: { host: 'app.example' } });
      expect(r).toMatchObject({ status: 200, body: 'h2 https app.example\n' });
    }
    expect(handshakes).toEqual([{ servername: 'backend.test', alpn: 'h2' }]);
  });

  test('without serverName, an IP endpoint gets no SNI and its certificate is checked against the IP', async () => {
    const b = await startTlsBackend('127.0.0.41', pki.backend);
    backends.push(b);
    proxy = await startProxy(upstream([b], { caFile: pki.caFile }) as never);
    expect((await request(proxy.host, proxy.port, '/')).status).toBe(200);
    expect(b.handshakes).toEqual([{ servername: false, alpn: 'http/1.1' }]);
  });

  test('fails with a 502 naming the certificate problem when the endpoint is not trusted', async () => {
    const b = await startTlsBackend('127.0.0.41', pki.untrusted);
    backends.push(b);
    proxy = await startProxy(upstream([b], { caFile: pki.caFile, serverName: 'backend.test' }) as never);
    const r = await request(proxy.host, proxy.port, '/');
    expect(r.status).toBe(502);
    expect(r.body).toContain('upstream TLS: certificate signed by unknown authority');
    expect(r.body).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  test('fails with a 502 naming the mismatch when the certificate does not carry serverName', async () => {
    const b = await startTlsBackend('127.0.0.41', pki.backend);
    backends.push(b);
    proxy = await startProxy(upstream([b], { caFile: pki.caFile, serverName: 'other.test' }) as never);
    const r = await request(proxy.host, proxy.port, '/');
    expect(r.status).toBe(502);
    expect(r.body).toContain('upstream TLS: certificate does not name the server');
  });

  test('fails with a 502 after connectMs when an endpoint accepts TCP but never finishes the handshake', async () => {
    const held: net.Socket[] = [];
    const mute = net.createServer((sock) => held.push(sock)); // reads the ClientHello, never answers
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.41', () => resolve()));
    backends.push({
      close: () => new Promise<void>((resolve) => (held.forEach((h) => h.destroy()), mute.close(() => resolve()))),
    } as TlsBackend);
    const port = (mute.address() as net.AddressInfo).port;
    proxy = await startProxy({
      upstream: { port, sources: [{ kind: 'static', endpoints: [{ address: '127.0.0.41' }] }], tls: { caFile: pki.caFile } },
      timeouts: { connectMs: 300 },
    } as never);
    const t0 = Date.now();
    const r = await request(proxy.host, proxy.port, '/');
    expect(r.status).toBe(502);
    expect(r.body).toContain('connect timed out after 300 ms');
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(held.length).toBeGreaterThanOrEqual(1);
  });

  test('an untrusted endpoint is a connect failure: counted, and the request goes to another endpoint', async () => {
    const good = await startTlsBackend('127.0.0.41', pki.backend);
    const bad = await startTlsBackend('127.0.0.42', pki.untrusted);
    backends.push(good, bad);
    proxy = await startProxy(upstream([good, bad], { caFile: pki.caFile, serverName: 'backend.test' }) as never);
    for (let i = 0; i < 6; i++) {
      const r = await request(proxy.host, proxy.port, '/');
      expect(r).toMatchObject({ status: 200, body: '127.0.0.41\n' });
    }
    expect(sample(await metrics(proxy), 'lb_upstream_failure_total', 'kind="connect-failure"')).toBeGreaterThanOrEqual(1);
  });

  test('active health checks speak TLS: a trusted endpoint stays healthy, an untrusted one fails its checks', async () => {
    const good = await startTlsBackend('127.0.0.41', pki.backend);
    const bad = await startTlsBackend('127.0.0.42', pki.untrusted);
    backends.push(good, bad);
    proxy = await startProxy({
      ...upstream([good, bad], { caFile: pki.caFile, serverName: 'backend.test' }),
      healthCheck: { intervalMs: 200, timeoutMs: 150, unhealthyThreshold: 2 },
    } as never);
    const p = proxy;
    const healthOf = async () => Object.fromEntries((await endpointsDump(p)).endpoints.map((e) => [e.id.split(':')[0], e.healthy]));
    await waitFor(async () => (await healthOf())['127.0.0.42'] === false, 5_000, 'the untrusted endpoint marked unhealthy');
    await sleep(400);
    expect(await healthOf()).toEqual({ '127.0.0.41': true, '127.0.0.42': false });
    expect(good.handshakes.length).toBeGreaterThanOrEqual(2);
    expect(good.handshakes[0]).toEqual({ servername: 'backend.test', alpn: 'http/1.1' });
  });

  test('--smoke runs with a plain in-process listener (no gateway certificate needed) and upstream TLS', async () => {
    const b = await startTlsBackend('127.0.0.41', pki.backend);
    backends.push(b);
    const config = {
      version: 1,
      listener: { tls: { certFile: join(root, 'nowhere', 'tls.crt'), keyFile: join(root, 'nowhere', 'tls.key') } },
      ...upstream([b], { caFile: pki.caFile, serverName: 'backend.test' }),
    };
    const child = spawn(PROXY_NODE, [BUNDLE, '--config', tmpFile('smoke-tls.json', JSON.stringify(config)), '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toMatch(/"smoke summary".*"ok":true/);
    expect(b.handshakes.length).toBeGreaterThanOrEqual(1);
  });

  test('a rotated caFile is taken without a restart: an endpoint it now trusts serves', async () => {
    const b = await startTlsBackend('127.0.0.41', pki.untrusted);
    backends.push(b);
    const caDir = mkdtempSync(join(root, 'ca-'));
    const caFile = join(caDir, 'ca.crt');
    writeFileSync(caFile, pki.ca);
    proxy = await startProxy(upstream([b], { caFile, serverName: 'backend.test' }) as never);
    const p = proxy;
    expect((await request(p.host, p.port, '/')).status).toBe(502);
    // The self-signed certificate becomes a trust anchor; written aside and renamed over, as a mount swap is atomic.
    writeFileSync(join(caDir, 'next.crt'), Buffer.concat([pki.ca, pki.untrusted.cert]));
    renameSync(join(caDir, 'next.crt'), caFile);
    await waitFor(async () => sample(await metrics(p), 'lb_tls_reload_total', 'source="upstream-ca",result="ok"') === 1, 5_000, 'the CA reloaded');
    expect(await request(p.host, p.port, '/')).toMatchObject({ status: 200, body: '127.0.0.41\n' });
  });

  test('fails to start when caFile is missing, naming the file', async () => {
    const missing = join(root, 'nowhere', 'ca.crt');
    proxy = await startProxy({ upstream: { port: 1, sources: [{ kind: 'static', endpoints: [{ address: '127.0.0.41' }] }], tls: { caFile: missing } } } as never, { waitReady: false });
    expect(await proxy.exited).toBe(2);
    expect(proxy.stderr()).toContain(`upstream TLS: cannot read ${missing}`);
  });
});
