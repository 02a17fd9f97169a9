/**
 * HTTP/1.1 proxying correctness through the real bundle: streaming both ways, hop-by-hop headers, forwarded headers,
 * upgrades, 1xx, aborts on either side, keep-alive reuse, and the reverse-proxy-only rule for request targets.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { Backend, cleanTmp, defaultHandler, Handler, request, RunningProxy, startBackend, startProxy, staticSource, waitFor } from './helpers';

describe('HTTP/1.1 proxying', () => {
  let backend: Backend;
  let proxy: RunningProxy;
  let handler: Handler = defaultHandler;
  let connections = 0;
  let wsClosed = false;

  beforeAll(async () => {
    backend = await startBackend('127.0.0.21', (req, res, b) => handler(req, res, b));
    backend.server.on('connection', () => connections++);
    backend.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      if (head.length) socket.write(head);
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
      socket.on('end', () => socket.end());
      socket.on('close', () => (wsClosed = true));
    });
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource([backend])] } } as never);
  });
  afterAll(async () => {
    await proxy.stop();
    await backend.close();
    cleanTmp();
  });
  afterEach(async () => {
    handler = defaultHandler;
    backend.seen.length = 0;
    // No request may leak: every one ends, whichever side gave up.
    await waitFor(
      async () => JSON.parse((await request(proxy.host, proxy.adminPort, '/admin/endpoints')).body).activeRequests === 0,
      3000,
      'no active requests',
    );
  });

  test('removes hop-by-hop request headers and adds the forwarded ones; Host is preserved', async () => {
    await request(proxy.host, proxy.port, '/h', {
      headers: {
        host: 'shop.example:8443',
        connection: 'keep-alive, x-hop',
        'x-hop': 'secret',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic Zm9v',
        te: 'trailers',
        'x-forwarded-for': '203.0.113.9',
        'x-end-to-end': 'kept',
      },
    });
    const h = backend.seen[0].headers;
    expect(h.host).toBe('shop.example:8443');
    expect(h['x-end-to-end']).toBe('kept');
    for (const hop of ['x-hop', 'keep-alive', 'proxy-authorization', 'te']) expect(h[hop]).toBeUndefined();
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('shop.example:8443');
    expect(h['x-request-id']).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
  });

  test('removes hop-by-hop response headers', async () => {
    handler = (req, res) => {
      req.resume();
      res.writeHead(200, { connection: 'x-bar', 'x-bar': '1', 'keep-alive': 'timeout=1', 'x-kept': 'yes' });
      res.end('ok');
    };
    const r = await request(proxy.host, proxy.port, '/');
    expect(r.headers['x-bar']).toBeUndefined();
    expect(r.headers['x-kept']).toBe('yes');
    expect(r.body).toBe('ok');
  });

  test('rejects absolute-form targets with 400: this is a reverse proxy', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(proxy.port, proxy.host, () => s.write('GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    expect(backend.seen).toHaveLength(0);
  });

  test('streams a chunked request body: the backend sees the first chunk before the client sends the last', async () => {
    let firstChunkSeen = false;
    let te: string | undefined;
    handler = (req, res) => {
      te = req.headers['transfer-encoding'];
      let n = 0;
      req.on('data', (d: Buffer) => {
        n += d.length;
        firstChunkSeen = true;
      });
      req.on('end', () => res.end(`got ${n}`));
    };
    const res = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: proxy.host, port: proxy.port, method: 'POST', path: '/up', agent: false }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.write('a'.repeat(1000));
      waitFor(() => firstChunkSeen, 5000, 'first chunk at the backend').then(() => req.end('b'.repeat(500)), reject);
    });
    expect(te).toBe('chunked');
    expect(res).toBe('got 1500');
  });

  test('streams a response: the client sees the first chunk before the backend ends', async () => {
    let release: () => void = () => undefined;
    handler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      release = () => res.end('last');
    };
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: proxy.host, port: proxy.port, path: '/down', agent: false }, (r) => {
          let b = '';
          r.on('data', (d) => {
            b += d;
            if (b === 'first;') release();
          });
          r.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    expect(body).toBe('first;last');
  });

  test('a slow client still gets a 10 MiB body whole (backpressure path)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'z');
    handler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': String(chunk.length * 160) });
      let n = 0;
      const pump = () => {
        while (n < 160) {
          n++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const total = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: proxy.host, port: proxy.port, path: '/big', agent: false }, (r) => {
          let got = 0;
          r.pause();
          setTimeout(() => r.resume(), 300);
          r.on('data', (d: Buffer) => (got += d.length));
          r.on('end', () => resolve(got));
        })
        .on('error', reject);
    });
    expect(total).toBe(chunk.length * 160);
  });

  test('an upstream abort mid-body breaks the client response instead of ending it cleanly', async () => {
    handler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 50);
    };
    const outcome = await new Promise<string>((resolve) => {
      http
        .get({ host: proxy.host, port: proxy.port, path: '/', agent: false }, (r) => {
          r.on('data', () => undefined);
          r.on('end', () => resolve('clean end'));
          r.on('aborted', () => resolve('aborted'));
          r.on('error', () => resolve('aborted'));
        })
        .on('error', () => resolve('aborted'));
    });
    expect(outcome).toBe('aborted');
  });

  test('a client abort cancels the upstream request', async () => {
    let upstreamClosed = false;
    handler = (req, res) => {
      res.on('close', () => (upstreamClosed = true));
      req.resume();
    };
    const req = http.get({ host: proxy.host, port: proxy.port, path: '/hang', agent: false });
    req.on('error', () => undefined);
    await waitFor(() => backend.seen.length === 1, 3000, 'request at the backend');
    req.destroy();
    await waitFor(() => upstreamClosed, 3000, 'upstream request cancelled');
  });

  test('passes 103 Early Hints through before the final response', async () => {
    handler = (req, res) => {
      req.resume();
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => res.end('final'));
    };
    const info: number[] = [];
    const r = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: proxy.host, port: proxy.port, path: '/', agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      });
      req.on('information', (i) => info.push(i.statusCode));
      req.on('error', reject);
    });
    expect(info).toEqual([103]);
    expect(r).toBe('final');
  });

  test('reuses keep-alive connections on both sides', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = connections;
    const clientSockets = new Set<net.Socket>();
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve, reject) => {
        http
          .get({ host: proxy.host, port: proxy.port, path: '/', agent }, (r) => {
            clientSockets.add(r.socket);
            r.resume();
            r.on('end', () => resolve());
          })
          .on('error', reject);
      });
    }
    agent.destroy();
    expect(clientSockets.size).toBe(1);
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  test('passes a WebSocket upgrade through and pipes both directions', async () => {
    const key = Buffer.from('0123456789abcdef').toString('base64');
    const { res, socket } = await new Promise<{ res: http.IncomingMessage; socket: net.Socket }>((resolve, reject) => {
      const req = http.request({
        host: proxy.host,
        port: proxy.port,
        path: '/ws',
        agent: false,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' },
      });
      req.on('upgrade', (r, s) => resolve({ res: r, socket: s }));
      req.on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-accept']).toBe(
      createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'),
    );
    const echoed = await new Promise<string>((resolve) => {
      socket.once('data', (d: Buffer) => resolve(d.toString()));
      socket.write('hello');
    });
    socket.destroy();
    expect(echoed).toBe('echo:hello');
    await waitFor(() => wsClosed, 3000, 'the backend side of the tunnel to close');
  });
});
