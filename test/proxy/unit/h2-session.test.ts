/**
 * The HTTP/2 codec's session (src/proxy/h2/session.ts) driven frame by frame from a raw peer on loopback: flow control
 * both ways, SETTINGS changes, padding, CONTINUATION, content-length checks, PING, GOAWAY, and the connection errors
 * RFC 9113 asks for. The proxy-level tests (h2, grpc, h2-hostile) cover the same code through real clients.
 */
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  Flag,
  frame,
  FrameType,
  goawayFrame,
  H2Error,
  headersFrames,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from '../../../src/proxy/h2/frames';
import { HpackDecoder, HpackEncoder } from '../../../src/proxy/h2/hpack';
import { H2Session, H2SessionEvents } from '../../../src/proxy/h2/session';
import type { H2Stream, H2StreamHandler } from '../../../src/proxy/h2/stream';
import { makePki } from '../tls-helpers';

interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** The raw side: writes frames, and records every frame the session sends. */
class Peer {
  readonly frames: Frame[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private readonly enc = new HpackEncoder();
  private readonly dec = new HpackDecoder();

  constructor(
    readonly socket: net.Socket,
    private skipPreface: boolean,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (this.skipPreface) {
      if (this.buf.length < PREFACE.length) return;
      expect(this.buf.subarray(0, PREFACE.length).equals(PREFACE)).toBe(true);
      this.buf = this.buf.subarray(PREFACE.length);
      this.skipPreface = false;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) return;
      const f = { type: this.buf[3], flags: this.buf[4], id: this.buf.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(this.buf.subarray(9, 9 + len)) };
      this.buf = this.buf.subarray(9 + len);
      this.frames.push(f);
    }
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  block(fields: string[]): Buffer {
    return this.enc.encode(fields);
  }

  /** A header block the session sent, decoded (HEADERS plus CONTINUATION frames, in order). */
  decode(frames: Frame[]): string[] {
    const out: string[] = [];
    this.dec.decode(Buffer.concat(frames.map((f) => f.payload)), 0, frames.reduce((n, f) => n + f.payload.length, 0), out, 1 << 20);
    return out;
  }

  of(type: number, id?: number): Frame[] {
    return this.frames.filter((f) => f.type === type && (id === undefined || f.id === id));
  }

  async until(cond: () => boolean, ms = 2_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out; frames: ${this.frames.map((f) => `${f.type}/${f.flags}/${f.id}`).join(' ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  get goaway(): { last: number; code: number } | undefined {
    const g = this.of(FrameType.Goaway)[0];
    return g && { last: g.payload.readUInt32BE(0), code: g.payload.readUInt32BE(4) };
  }
}

/** Records what a stream hears. */
class Recorder implements H2StreamHandler {
  data: Buffer[] = [];
  headers: string[][] = [];
  ended = false;
  reset: { code: number; cause: string } | undefined;
  drains = 0;
  onHeaders(fields: string[]): void {
    this.headers.push(fields);
  }
  onData(d: Buffer, s: number, e: number): void {
    this.data.push(Buffer.from(d.subarray(s, e)));
  }
  onEnd(): void {
    this.ended = true;
  }
  onReset(code: number, cause: string): void {
    this.reset = { code, cause };
  }
  onDrain(): void {
    this.drains++;
  }
  get bytes(): number {
    return this.data.reduce((n, d) => n + d.length, 0);
  }
}

const OPTIONS = { maxConcurrentStreams: 4, maxHeaderListSize: 8_192, streamWindow: 65_535, connectionWindow: 65_535 };
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A session (server or client role) on one end of a loopback connection, the raw peer on the other. */
async function pair(server: boolean, ev: Partial<H2SessionEvents> = {}, options: Partial<typeof OPTIONS> = {}): Promise<{ session: H2Session; peer: Peer; closed: string[] }> {
  const closed: string[] = [];
  let session!: H2Session;
  const srv = net.createServer((sock) => {
    sockets.push(sock);
    if (server) session = new H2Session(sock, { server: true, ...OPTIONS, ...options }, { onClose: (e) => closed.push(e ?? 'clean'), ...ev });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const sock = net.connect({ host: '127.0.0.1', port });
  sockets.push(sock);
  await new Promise((r) => sock.once('connect', r));
  let peer: Peer;
  if (server) {
    peer = new Peer(sock, false);
    peer.send(PREFACE, settingsFrame([]));
    await peer.until(() => session !== undefined);
  } else {
    session = new H2Session(sock, { server: false, ...OPTIONS, ...options }, { onClose: (e) => closed.push(e ?? 'clean'), ...ev });
    const [remote] = await new Promise<net.Socket[]>((r) => {
      const wait = (): void => {
        const s = sockets.filter((x) => x !== sock);
        if (s.length > 0) r(s);
        else setTimeout(wait, 5);
      };
      wait();
    });
    peer = new Peer(remote, true);
    peer.send(settingsFrame([]));
  }
  await peer.until(() => peer.of(FrameType.Settings).some((f) => (f.flags & Flag.Ack) !== 0));
  return { session, peer, closed };
}

/** A server session with one open request stream (id 1) whose handler records. */
async function serverWithStream(extra: Partial<typeof OPTIONS> = {}, endStream = false, more: string[] = []) {
  let stream: H2Stream | undefined;
  const rec = new Recorder();
  const p = await pair(true, {
    onStream: (s) => {
      s.handler = rec;
      stream = s;
    },
  }, extra);
  p.peer.send(headersFrames(1, p.peer.block([':method', 'POST', ':scheme', 'http', ':path', '/', ...more]), endStream, 16_384));
  await p.peer.until(() => stream !== undefined);
  return { ...p, stream: stream as H2Stream, rec };
}

describe('sending under flow control', () => {
  it('sends no more DATA than the stream window allows, then the rest after WINDOW_UPDATE, with onDrain and END_STREAM on the last frame', async () => {
    const { peer, stream, rec } = await serverWithStream();
    stream.sendHeaders([':status', '200'], false);
    const body = Buffer.alloc(200_000, 7);
    expect(stream.writeData(body, true)).toBe(false);
    await peer.until(() => peer.of(FrameType.Data, 1).reduce((n, f) => n + f.payload.length, 0) === 65_535);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.of(FrameType.Data, 1).reduce((n, f) => n + f.payload.length, 0)).toBe(65_535); // the default window, no more
    expect(peer.of(FrameType.Data, 1).every((f) => f.payload.length <= 16_384)).toBe(true);
    peer.send(windowUpdateFrame(0, 200_000), windowUpdateFrame(1, 200_000));
    await peer.until(() => peer.of(FrameType.Data, 1).some((f) => (f.flags & Flag.EndStream) !== 0));
    const data = peer.of(FrameType.Data, 1);
    expect(data.reduce((n, f) => n + f.payload.length, 0)).toBe(200_000);
    expect(data.filter((f) => (f.flags & Flag.EndStream) !== 0)).toHaveLength(1);
    expect(data[data.length - 1].flags & Flag.EndStream).toBe(Flag.EndStream);
    expect(rec.drains).toBe(1);
  });

  it('applies a SETTINGS_INITIAL_WINDOW_SIZE change to open streams, below zero too (RFC 9113 6.9.2)', async () => {
    const { peer, stream } = await serverWithStream();
    stream.sendHeaders([':status', '200'], false);
    peer.send(windowUpdateFrame(0, 1_000_000));
    stream.writeData(Buffer.alloc(60_000), false);
    await peer.until(() => peer.of(FrameType.Data, 1).reduce((n, f) => n + f.payload.length, 0) === 60_000);
    // Window 65,535 - 60,000 = 5,535; shrinking the initial window by 10,000 leaves it at -4,465.
    peer.send(settingsFrame([[Setting.InitialWindowSize, 55_535]]));
    await peer.until(() => peer.of(FrameType.Settings).filter((f) => f.flags & Flag.Ack).length === 2);
    expect(stream.sendWindow).toBe(-4_465);
    stream.writeData(Buffer.alloc(10_000), true);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.of(FrameType.Data, 1).reduce((n, f) => n + f.payload.length, 0)).toBe(60_000);
    peer.send(windowUpdateFrame(1, 4_465 + 10_000));
    await peer.until(() => peer.of(FrameType.Data, 1).some((f) => (f.flags & Flag.EndStream) !== 0));
    expect(peer.of(FrameType.Data, 1).reduce((n, f) => n + f.payload.length, 0)).toBe(70_000);
  });

  it("uses the peer's SETTINGS_MAX_FRAME_SIZE for DATA and splits a large header block into CONTINUATION frames", async () => {
    const { peer, stream } = await serverWithStream();
    peer.send(settingsFrame([[Setting.MaxFrameSize, 32_768]]), windowUpdateFrame(0, 100_000), windowUpdateFrame(1, 100_000));
    await peer.until(() => peer.of(FrameType.Settings).filter((f) => f.flags & Flag.Ack).length === 2);
    const big = 'x'.repeat(40_000);
    stream.sendHeaders([':status', '200', 'x-big', big], false);
    stream.writeData(Buffer.alloc(100_000), true);
    await peer.until(() => peer.of(FrameType.Data, 1).some((f) => (f.flags & Flag.EndStream) !== 0));
    const hs = peer.frames.filter((f) => f.id === 1 && (f.type === FrameType.Headers || f.type === FrameType.Continuation));
    expect(hs[0].type).toBe(FrameType.Headers);
    expect(hs.length).toBeGreaterThan(1);
    expect(hs.slice(0, -1).every((f) => (f.flags & Flag.EndHeaders) === 0)).toBe(true);
    expect(hs[hs.length - 1].flags & Flag.EndHeaders).toBe(Flag.EndHeaders);
    expect(peer.decode(hs)).toEqual([':status', '200', 'x-big', big]);
    expect(Math.max(...peer.of(FrameType.Data, 1).map((f) => f.payload.length))).toBe(32_768);
  });

  it('sends trailers after the DATA that waits for window, never before it', async () => {
    const { peer, stream } = await serverWithStream();
    stream.sendHeaders([':status', '200'], false);
    stream.writeData(Buffer.alloc(70_000), false);
    stream.sendHeaders(['grpc-status', '0'], true);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.of(FrameType.Headers, 1)).toHaveLength(1);
    peer.send(windowUpdateFrame(0, 10_000), windowUpdateFrame(1, 10_000));
    await peer.until(() => peer.of(FrameType.Headers, 1).length === 2);
    const last = peer.frames.filter((f) => f.id === 1).pop() as Frame;
    expect(last.type).toBe(FrameType.Headers);
    expect(last.flags & Flag.EndStream).toBe(Flag.EndStream);
    expect(peer.decode([last])).toEqual(['grpc-status', '0']);
    expect(peer.of(FrameType.Data, 1).reduce((n, f) => n + f.payload.length, 0)).toBe(70_000);
  });
});

describe('receiving', () => {
  it('holds DATA for a paused stream without granting window, and grants it once the handler takes it', async () => {
    const { peer, stream, rec } = await serverWithStream();
    stream.pause();
    for (let i = 0; i < 3; i++) peer.send(frame(FrameType.Data, 0, 1, Buffer.alloc(15_000, 1)));
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.bytes).toBe(0);
    expect(peer.of(FrameType.WindowUpdate)).toHaveLength(0);
    stream.resume();
    expect(rec.bytes).toBe(45_000);
    await peer.until(() => peer.of(FrameType.WindowUpdate, 1).length === 1);
    expect(peer.of(FrameType.WindowUpdate, 1)[0].payload.readUInt32BE(0)).toBe(45_000);
  });

  it('strips padding, and passes trailers then the end', async () => {
    const { peer, rec } = await serverWithStream();
    const padded = Buffer.concat([Buffer.from([5]), Buffer.from('hello'), Buffer.alloc(5)]);
    peer.send(frame(FrameType.Data, Flag.Padded, 1, padded), headersFrames(1, peer.block(['x-t', '1']), true, 16_384));
    await peer.until(() => rec.ended);
    expect(Buffer.concat(rec.data).toString()).toBe('hello');
    expect(rec.headers).toEqual([['x-t', '1']]);
  });

  it('resets a stream whose DATA runs past its content-length, and one that ends short of it', async () => {
    const over = await serverWithStream({}, false, ['content-length', '3']);
    over.stream.expectedLength = 3;
    over.peer.send(frame(FrameType.Data, Flag.EndStream, 1, Buffer.from('four')));
    await over.peer.until(() => over.peer.of(FrameType.RstStream, 1).length === 1);
    expect(over.peer.of(FrameType.RstStream, 1)[0].payload.readUInt32BE(0)).toBe(H2Error.ProtocolError);
    expect(over.rec.ended).toBe(false);

    const short = await serverWithStream({}, false, ['content-length', '10']);
    short.stream.expectedLength = 10;
    short.peer.send(frame(FrameType.Data, Flag.EndStream, 1, Buffer.from('four')));
    await short.peer.until(() => short.peer.of(FrameType.RstStream, 1).length === 1);
    expect(short.rec.ended).toBe(false);
  });

  it('fails the connection with FLOW_CONTROL_ERROR on DATA beyond the connection window', async () => {
    const { peer, closed, stream } = await serverWithStream();
    stream.pause(); // nothing is taken, so nothing is granted back
    for (let i = 0; i < 5; i++) peer.send(frame(FrameType.Data, 0, 1, Buffer.alloc(16_000)));
    await peer.until(() => peer.goaway !== undefined);
    expect(peer.goaway?.code).toBe(H2Error.FlowControlError);
    await peer.until(() => closed.length === 1);
  });

  it('refuses streams above SETTINGS_MAX_CONCURRENT_STREAMS with REFUSED_STREAM and keeps the connection', async () => {
    const opened: number[] = [];
    const { peer } = await pair(true, { onStream: (s) => void opened.push(s.id) });
    for (let id = 1; id <= 11; id += 2) peer.send(headersFrames(id, peer.block([':method', 'GET', ':scheme', 'http', ':path', `/${id}`]), false, 16_384));
    await peer.until(() => peer.of(FrameType.RstStream).length === 2);
    expect(opened).toEqual([1, 3, 5, 7]);
    expect(peer.of(FrameType.RstStream).map((f) => [f.id, f.payload.readUInt32BE(0)])).toEqual([
      [9, H2Error.RefusedStream],
      [11, H2Error.RefusedStream],
    ]);
    expect(peer.goaway).toBeUndefined();
  });

  it.each([
    ['a frame larger than SETTINGS_MAX_FRAME_SIZE', () => frame(FrameType.Data, 0, 1, Buffer.alloc(16_385)), H2Error.FrameSizeError],
    ['DATA on stream 0', () => frame(FrameType.Data, 0, 0, Buffer.alloc(1)), H2Error.ProtocolError],
    ['DATA with padding longer than the frame', () => frame(FrameType.Data, Flag.Padded, 1, Buffer.from([9, 1, 2])), H2Error.ProtocolError],
    ['a WINDOW_UPDATE of 0 on the connection', () => windowUpdateFrame(0, 0), H2Error.ProtocolError],
    ['a connection window past 2^31-1', () => windowUpdateFrame(0, 0x7fffffff), H2Error.FlowControlError],
    ['SETTINGS with a length not a multiple of 6', () => frame(FrameType.Settings, 0, 0, Buffer.alloc(5)), H2Error.FrameSizeError],
    ['SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1', () => settingsFrame([[Setting.InitialWindowSize, 0x80000000]]), H2Error.FlowControlError],
    ['SETTINGS_MAX_FRAME_SIZE below 16384', () => settingsFrame([[Setting.MaxFrameSize, 100]]), H2Error.ProtocolError],
    ['a PING of 7 bytes', () => frame(FrameType.Ping, 0, 0, Buffer.alloc(7)), H2Error.FrameSizeError],
    ['PUSH_PROMISE from a client', () => frame(FrameType.PushPromise, Flag.EndHeaders, 1, Buffer.alloc(4)), H2Error.ProtocolError],
    ['HEADERS on an even stream id', () => headersFrames(2, Buffer.from([0x82]), true, 16_384), H2Error.ProtocolError],
    ['RST_STREAM on an idle stream', () => rstStreamFrame(99, 8), H2Error.ProtocolError],
    ['a DATA frame between HEADERS and its CONTINUATION', () => Buffer.concat([frame(FrameType.Headers, 0, 3, Buffer.from([0x82])), frame(FrameType.Data, 0, 1, Buffer.alloc(1))]), H2Error.ProtocolError],
    ['an HPACK index beyond the tables', () => headersFrames(3, Buffer.from([0xff, 0x7f]), true, 16_384), H2Error.CompressionError],
  ])('fails the connection on %s', async (_name, make, code) => {
    const { peer, closed } = await serverWithStream();
    peer.send(make());
    await peer.until(() => peer.goaway !== undefined);
    expect(peer.goaway?.code).toBe(code);
    await peer.until(() => peer.closed && closed.length === 1);
  });

  it('fails a connection whose first frame is not SETTINGS, and one that does not open with the preface', async () => {
    for (const opening of [Buffer.concat([PREFACE, pingFrame(Buffer.alloc(8), false)]), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\nxxxxxxxx')]) {
      const srv = net.createServer((sock) => {
        sockets.push(sock);
        new H2Session(sock, { server: true, ...OPTIONS }, { onClose: () => undefined });
      });
      servers.push(srv);
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const sock = net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
      sockets.push(sock);
      const peer = new Peer(sock, false);
      sock.write(opening);
      await peer.until(() => peer.goaway !== undefined && peer.closed);
      expect(peer.goaway?.code).toBe(H2Error.ProtocolError);
    }
  });

  it('answers a PING with the same payload, and ignores PRIORITY and unknown frame types', async () => {
    const { peer, rec } = await serverWithStream();
    const payload = Buffer.from('12345678');
    peer.send(frame(FrameType.Priority, 0, 1, Buffer.alloc(5)), frame(0xfa, 0, 0, Buffer.alloc(3)), pingFrame(payload, false));
    await peer.until(() => peer.of(FrameType.Ping).length === 1);
    const p = peer.of(FrameType.Ping)[0];
    expect([p.flags, p.payload.toString()]).toEqual([Flag.Ack, '12345678']);
    expect(peer.goaway).toBeUndefined();
    expect(rec.reset).toBeUndefined();
  });

  it('ends the connection when the peer floods PINGs without reading the answers', async () => {
    const { peer, closed } = await serverWithStream();
    peer.socket.pause(); // the peer reads nothing
    const pings = Buffer.concat(Array.from({ length: 10_000 }, () => pingFrame(Buffer.alloc(8), false)));
    for (let i = 0; i < 300 && closed.length === 0; i++) {
      peer.socket.write(pings);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(closed.length).toBe(1);
    expect(closed[0]).toMatch(/PING/);
  });
});

describe('as a client', () => {
  it('opens odd streams, reads the response and trailers, and on GOAWAY resets the streams above its last id as unprocessed', async () => {
    const { session, peer } = await pair(false);
    const recs = [new Recorder(), new Recorder(), new Recorder()];
    const streams = recs.map((r, i) => session.request([':method', 'GET', ':scheme', 'http', ':authority', 'a', ':path', `/${i}`], true, r) as H2Stream);
    expect(streams.map((s) => s.id)).toEqual([1, 3, 5]);
    await peer.until(() => peer.of(FrameType.Headers).length === 3);
    const heads = peer.of(FrameType.Headers).map((f) => peer.decode([f]));
    expect(heads[1]).toEqual([':method', 'GET', ':scheme', 'http', ':authority', 'a', ':path', '/1']);
    peer.send(goawayFrame(3, H2Error.NoError));
    peer.send(headersFrames(1, peer.block([':status', '200']), false, 16_384), frame(FrameType.Data, 0, 1, Buffer.from('ok')));
    peer.send(headersFrames(1, peer.block(['grpc-status', '0']), true, 16_384));
    await peer.until(() => recs[0].ended && recs[2].reset !== undefined);
    expect(recs[0].headers).toEqual([[':status', '200'], ['grpc-status', '0']]);
    expect(Buffer.concat(recs[0].data).toString()).toBe('ok');
    expect(recs[2].reset?.cause).toBe('goaway');
    expect(recs[1].reset).toBeUndefined();
    expect(session.request([':method', 'GET', ':scheme', 'http', ':path', '/'], true, new Recorder())).toBeUndefined();
  });

  it('reports a peer reset with its code, and a connection close to every open stream', async () => {
    const { session, peer } = await pair(false);
    const a = new Recorder();
    const b = new Recorder();
    session.request([':method', 'GET', ':scheme', 'http', ':path', '/a'], true, a);
    session.request([':method', 'GET', ':scheme', 'http', ':path', '/b'], true, b);
    await peer.until(() => peer.of(FrameType.Headers).length === 2);
    peer.send(rstStreamFrame(1, H2Error.RefusedStream));
    await peer.until(() => a.reset !== undefined);
    expect(a.reset).toEqual({ code: H2Error.RefusedStream, cause: 'peer' });
    peer.socket.destroy();
    await peer.until(() => b.reset !== undefined);
    expect(b.reset?.cause).toBe('session');
  });
});

describe('an endpoint that does not speak HTTP/2', () => {
  it('closes the session with the cause and the fix when the endpoint answers in HTTP/1.1', async () => {
    const closed: string[] = [];
    const srv = net.createServer((sock) => {
      sockets.push(sock);
      sock.once('data', () => sock.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const sock = net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
    sockets.push(sock);
    const rec = new Recorder();
    const session = new H2Session(sock, { server: false, ...OPTIONS }, { onClose: (e) => closed.push(e ?? 'clean') });
    session.request([':method', 'GET', ':scheme', 'http', ':path', '/'], true, rec);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no close')), 2_000);
      const check = (): void => {
        if (closed.length > 0) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 5);
      };
      check();
    });
    expect(closed[0]).toMatch(/answered in HTTP\/1\.x, not HTTP\/2.*Protocol\.http\(\)/);
    expect(rec.reset?.cause).toBe('session');
  });

  it('closes the session with the cause and the fix when a TLS endpoint does not pick h2 by ALPN', async () => {
    const pki = makePki();
    try {
      const srv = tls.createServer({ ...pki.backend }, (sock) => {
        sockets.push(sock);
        sock.on('error', () => undefined);
      });
      servers.push(srv as unknown as net.Server);
      await new Promise<void>((r) => srv.listen(0, '127.0.0.41', r));
      const sock = tls.connect({ host: '127.0.0.41', port: (srv.address() as net.AddressInfo).port, ca: pki.ca, ALPNProtocols: ['h2'] });
      sockets.push(sock);
      const closed: string[] = [];
      new H2Session(sock, { server: false, ...OPTIONS }, { onClose: (e) => closed.push(e ?? 'clean') });
      const end = Date.now() + 3_000;
      while (closed.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(closed[0]).toMatch(/TLS handshake did not pick HTTP\/2 \(ALPN none\).*Protocol\.http\(\)/);
    } finally {
      rmSync(pki.dir, { recursive: true, force: true });
    }
  });
});
