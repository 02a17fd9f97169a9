/**
 * The HTTP/2 side of the listener: client connections over h2c (prior knowledge, told apart from HTTP/1.1 by the
 * connection preface on the same port) or h2 by ALPN after TLS. The proxy's own codec (h2/session.ts) frames, checks
 * and flow-controls; each stream becomes one {@link H2StreamDownstream}, balanced on its own.
 *
 * Limits: SETTINGS_MAX_CONCURRENT_STREAMS (limits.maxConcurrentStreams; streams above it are refused with
 * REFUSED_STREAM and the connection stays), the header list (limits.maxRequestHeaderBytes; a larger one is answered
 * 431), and the codec's own bounds (header block size, CONTINUATION count, malformed streams, control-frame floods).
 *
 * Rapid reset (CVE-2023-44487) is bounded here, where what was answered is known: a connection whose client resets
 * more than MAX_CLIENT_RESETS unanswered streams within RESET_WINDOW_MS, and at least half of the streams it opened
 * in that window, gets GOAWAY(ENHANCE_YOUR_CALM) and is closed (Envoy's premature-reset rule has the same shape: a
 * busy client that cancels some of its calls is left alone).
 *
 * A connection's age is bounded by listener.maxConnectionAgeMs with jitter: it then gets GOAWAY and the client
 * reconnects, possibly through another proxy, so long-lived clients rebalance. One with no stream for
 * timeouts.clientIdleMs is closed.
 */
import type * as net from 'node:net';
import { H2Error } from '../h2/frames';
import { readRequestFields, RequestFields } from '../h2/request-fields';
import { H2Session } from '../h2/session';
import type { H2Stream } from '../h2/stream';
import type { Router } from '../router';
import { H2StreamDownstream } from './stream';

/** Flow-control window per stream, and for the connection (what one client connection may make the proxy hold). */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 8 * 1024 * 1024;
/**
 * Streams a client may reset before their answer within one window: far above what browsers and gRPC clients cancel
 * in normal use.
 */
const MAX_CLIENT_RESETS = 200;
const RESET_WINDOW_MS = 1_000;
const SWEEP_MS = 1_000;

interface Client {
  readonly session: H2Session;
  readonly remoteAddress: string | undefined;
  readonly secure: boolean;
  /** Since when it has had no stream. */
  idleSince: number;
  /** Streams opened and streams the client reset in the current window, and when that window started. */
  opened: number;
  resets: number;
  resetWindowStart: number;
}

export class Http2Front {
  private readonly clients = new Set<Client>();
  private readonly timer: NodeJS.Timeout;
  private readonly req: RequestFields = { method: '', scheme: '', authority: undefined, path: '', fields: [], contentLength: -1, teTrailers: false };

  /** @param connectionAge the age limit of a new connection (jittered), or undefined for none; the Listener's */
  public constructor(
    private readonly r: Router,
    private readonly connectionAge: () => number | undefined,
  ) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  /** A client connection that speaks HTTP/2 from its first byte (`first`: bytes already read from it). */
  public accept(socket: net.Socket, first?: Buffer): void {
    const r = this.r;
    const c = r.config;
    const now = r.now();
    const age = this.connectionAge();
    const client: Client = {
      session: undefined as unknown as H2Session,
      remoteAddress: socket.remoteAddress,
      secure: (socket as net.Socket & { encrypted?: boolean }).encrypted === true,
      idleSince: now,
      opened: 0,
      resets: 0,
      resetWindowStart: now,
    };
    const session = new H2Session(
      socket,
      {
        server: true,
        maxConcurrentStreams: c.limits.maxConcurrentStreams,
        maxHeaderListSize: c.limits.maxRequestHeaderBytes,
        streamWindow: STREAM_WINDOW,
        connectionWindow: CONNECTION_WINDOW,
      },
      {
        onStream: (stream, fields, endStream, tooLarge) => this.onStream(client, stream, fields, endStream, tooLarge),
        onPeerReset: (stream) => this.onPeerReset(client, stream),
        onInternalError: (err) => this.r.log.error('an HTTP/2 client connection failed on an internal error', { error: err.stack ?? err.message }),
        onClose: () => this.clients.delete(client),
      },
    );
    (client as { session: H2Session }).session = session;
    this.clients.add(client);
    socket.setNoDelay(true);
    if (age !== undefined) {
      const t = setTimeout(() => session.goaway(), age);
      t.unref();
      socket.once('close', () => clearTimeout(t));
    }
    if (r.draining) session.goaway();
    if (first !== undefined && first.length > 0) session.receive(first);
    socket.resume();
  }

  private onStream(client: Client, stream: H2Stream, list: string[], endStream: boolean, tooLarge: boolean): void {
    this.window(client).opened++;
    if (tooLarge) {
      // The list was decoded (HPACK stays in step) but not kept: the request cannot be served.
      stream.answered = true;
      stream.sendHeaders([':status', '431', 'content-length', '0'], true);
      // The answer is complete; a body the client may still send is not wanted (RFC 9113 8.1).
      if (!endStream) stream.reset(H2Error.NoError);
      return;
    }
    const req = this.req;
    const bad = readRequestFields(list, req);
    if (bad !== undefined) {
      this.r.log.debug('refused a malformed HTTP/2 request', { remoteAddress: client.remoteAddress, problem: bad });
      client.session.refuseMalformed(stream);
      return;
    }
    new H2StreamDownstream(this.r, stream, req, endStream, client.remoteAddress, client.secure);
  }

  /** Counts a stream the client reset before its answer; past the bound the connection is closed (rapid reset). */
  private onPeerReset(client: Client, stream: H2Stream): void {
    if (stream.answered) return;
    const w = this.window(client);
    w.resets++;
    if (w.resets <= MAX_CLIENT_RESETS || w.resets * 2 < w.opened) return;
    this.r.log.warn('closing an HTTP/2 client connection that resets streams too fast (rapid reset)', {
      remoteAddress: client.remoteAddress,
      resets: w.resets,
      opened: w.opened,
      windowMs: RESET_WINDOW_MS,
    });
    client.session.fail(H2Error.EnhanceYourCalm, 'the client reset streams too fast');
  }

  /** The client's reset counters, started afresh once RESET_WINDOW_MS has passed. */
  private window(client: Client): Client {
    const now = this.r.now();
    if (now - client.resetWindowStart >= RESET_WINDOW_MS) {
      client.resetWindowStart = now;
      client.opened = 0;
      client.resets = 0;
    }
    return client;
  }

  /** Idle connections, once a second. */
  private sweep(): void {
    const now = this.r.now();
    const idleMs = this.r.config.timeouts.clientIdleMs;
    for (const client of this.clients) {
      const s = client.session;
      if (s.streams.size > 0) client.idleSince = now;
      else if (now - client.idleSince >= idleMs) {
        s.goaway();
      }
    }
  }

  /** Sends GOAWAY to every connection (the drain): clients open their next calls elsewhere. */
  public closeIdle(): void {
    for (const client of this.clients) client.session.goaway();
  }

  public closeAll(): void {
    for (const client of this.clients) client.session.destroy('the proxy is stopping');
    clearInterval(this.timer);
  }

  public get connections(): number {
    return this.clients.size;
  }
}
