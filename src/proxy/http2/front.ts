/**
 * The HTTP/2 side of the listener: client sessions over h2c (prior knowledge, told apart from HTTP/1.1 by the
 * connection preface on the same port) or h2 by ALPN after TLS. node:http2 (nghttp2, the codec Node itself ships)
 * frames, checks and flow-controls; each stream becomes one {@link H2StreamDownstream}, balanced on its own.
 *
 * Hostile peers are nghttp2's and Node's to refuse, with the limits set here: SETTINGS_MAX_CONCURRENT_STREAMS
 * (limits.maxConcurrentStreams), a header list bound (limits.maxRequestHeaderBytes), a session memory cap, and Node's
 * counters of rejected streams and invalid frames (rapid reset, CONTINUATION floods), past which the session is
 * closed. A session's age is bounded by listener.maxConnectionAgeMs with jitter: it then gets GOAWAY and the client
 * reconnects, possibly through another proxy, so long-lived clients rebalance.
 */
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { Router } from '../router';
import { H2StreamDownstream } from './stream';

/** Memory one session may use for its buffers (HPACK tables, queued frames), in MB: Node closes it past that. */
const MAX_SESSION_MEMORY_MB = 10;
/** Flow-control window per stream and per session. */
const WINDOW = 1024 * 1024;

interface SessionState {
  readonly session: http2.ServerHttp2Session;
  /** Read once: `session.socket` is a proxy object whose every access costs. */
  readonly remoteAddress: string | undefined;
  readonly secure: boolean;
  streams: number;
  ageTimer: NodeJS.Timeout | undefined;
}

export class Http2Front {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionState>();
  private readonly maxAgeMs: number | undefined;
  private readonly jitter: number;

  public constructor(
    private readonly r: Router,
    private readonly random: () => number = Math.random,
  ) {
    const c = r.config;
    const l = c.listener;
    this.maxAgeMs = 'maxConnectionAgeMs' in l ? l.maxConnectionAgeMs : undefined;
    this.jitter = 'maxConnectionAgeJitterPercent' in l ? l.maxConnectionAgeJitterPercent / 100 : 0;
    // maxSessionRejectedStreams and maxSessionInvalidFrames are Node options its type definitions lack.
    const options = {
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      maxHeaderListPairs: 256,
      maxSessionRejectedStreams: 100,
      maxSessionInvalidFrames: 100,
      settings: {
        maxConcurrentStreams: c.limits.maxConcurrentStreams,
        maxHeaderListSize: c.limits.maxRequestHeaderBytes,
        initialWindowSize: WINDOW,
        enablePush: false,
      },
    } as http2.ServerOptions;
    this.server = http2.createServer(options);
    this.server.on('session', (s: http2.ServerHttp2Session) => this.onSession(s));
    this.server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
      const state = this.sessions.get(stream.session as http2.ServerHttp2Session);
      if (state === undefined) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      state.streams++;
      stream.once('close', () => state.streams--);
      new H2StreamDownstream(r, stream, headers, flags, rawHeaders, state.remoteAddress, state.secure);
    });
    // Errors of one session (a protocol error, a reset socket) end that session only.
    this.server.on('sessionError', () => undefined);
  }

  /** A client connection that speaks HTTP/2 from its first byte (the preface may already be unshifted into it). */
  public accept(socket: net.Socket): void {
    this.server.emit('connection', socket);
  }

  private onSession(session: http2.ServerHttp2Session): void {
    const socket = session.socket as net.Socket & { encrypted?: boolean };
    const state: SessionState = { session, remoteAddress: socket.remoteAddress, secure: socket.encrypted === true, streams: 0, ageTimer: undefined };
    this.sessions.set(session, state);
    session.setLocalWindowSize(WINDOW);
    session.setTimeout(this.r.config.timeouts.clientIdleMs, () => {
      if (state.streams === 0) session.close();
    });
    if (this.maxAgeMs !== undefined) {
      const age = this.maxAgeMs * (1 - this.jitter * this.random());
      state.ageTimer = setTimeout(() => this.goaway(state), age);
      state.ageTimer.unref();
    }
    if (this.r.draining) this.goaway(state);
    session.on('error', () => undefined);
    session.on('close', () => {
      if (state.ageTimer !== undefined) clearTimeout(state.ageTimer);
      this.sessions.delete(session);
    });
  }

  /** GOAWAY: no new streams; the session closes once its open streams are answered. */
  private goaway(state: SessionState): void {
    const s = state.session;
    if (s.closed || s.destroyed) return;
    s.close();
  }

  /** Sends GOAWAY to every session (the drain): clients open their next calls elsewhere. */
  public closeIdle(): void {
    for (const state of this.sessions.values()) this.goaway(state);
  }

  public closeAll(): void {
    for (const state of this.sessions.values()) state.session.destroy();
  }

  public get connections(): number {
    return this.sessions.size;
  }
}
