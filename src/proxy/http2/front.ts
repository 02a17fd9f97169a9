/**
 * The HTTP/2 side of the listener: client sessions over h2c (prior knowledge, told apart from HTTP/1.1 by the
 * connection preface on the same port) or h2 by ALPN after TLS. node:http2 (nghttp2, the codec Node itself ships)
 * frames, checks and flow-controls; each stream becomes one {@link H2StreamDownstream}, balanced on its own.
 *
 * Hostile peers are mostly nghttp2's and Node's to refuse, with the limits set here: SETTINGS_MAX_CONCURRENT_STREAMS
 * (limits.maxConcurrentStreams), a header list bound (limits.maxRequestHeaderBytes), a session memory cap, and Node's
 * counters of rejected streams and invalid frames, past which the session is closed. nghttp2 (1.61+) also bounds
 * CONTINUATION frames per header block and rate-limits client resets, but on the reset limit it only sends GOAWAY (at
 * about 1000 streams) and Node leaves the socket open until clientIdleMs. So rapid reset (CVE-2023-44487) has its own
 * bound here, acting far sooner: a session whose client resets more than MAX_CLIENT_RESETS streams within
 * RESET_WINDOW_MS before the proxy answered them, and at least half of the streams it opened in that window, gets
 * GOAWAY(ENHANCE_YOUR_CALM) and is destroyed (Envoy's premature-reset rule has the same shape: a busy client that
 * cancels some of its calls is left alone).
 *
 * A client that opens more streams than the SETTINGS_MAX_CONCURRENT_STREAMS it acknowledged loses the connection:
 * nghttp2 treats it as a connection error (RFC 9113 5.1.2 asks for a stream error), and Node then resets the streams
 * in flight. Refusing only the extra streams would need a higher advertised limit than the one enforced here.
 *
 * A session's age is bounded by listener.maxConnectionAgeMs with jitter: it then gets GOAWAY and the client
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
/**
 * Streams a client may reset before their answer within one window. Well under nghttp2's own limiter (a burst of
 * 1000), so this bound acts first; far above what browsers and gRPC clients cancel in normal use.
 */
const MAX_CLIENT_RESETS = 200;
const RESET_WINDOW_MS = 1_000;
/** Between the GOAWAY to an offending client and the close of its connection. */
const GOAWAY_GRACE_MS = 100;
const { NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

interface SessionState {
  readonly session: http2.ServerHttp2Session;
  /** Read once: `session.socket` is a proxy object whose every access costs. */
  readonly remoteAddress: string | undefined;
  readonly secure: boolean;
  streams: number;
  ageTimer: NodeJS.Timeout | undefined;
  /** Streams opened and streams the client reset in the current window, and when that window started. */
  opened: number;
  resets: number;
  resetWindowStart: number;
  /** The session was told to go away for resetting too fast. */
  calming: boolean;
}

export class Http2Front {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionState>();

  /** @param connectionAge the age limit of a new connection (jittered), or undefined for none; the Listener's */
  public constructor(
    private readonly r: Router,
    private readonly connectionAge: () => number | undefined,
  ) {
    const c = r.config;
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
      const downstream = new H2StreamDownstream(r, stream, headers, flags, rawHeaders, state.remoteAddress, state.secure);
      state.streams++;
      this.resetWindow(state).opened++;
      stream.once('close', () => state.streams--);
      // 'aborted': closed before the proxy ended its answer; by the client unless the proxy reset it.
      stream.once('aborted', () => {
        if (!downstream.resetByProxy) this.clientReset(state);
      });
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
    const state: SessionState = {
      session,
      remoteAddress: socket.remoteAddress,
      secure: socket.encrypted === true,
      streams: 0,
      ageTimer: undefined,
      opened: 0,
      resets: 0,
      resetWindowStart: this.r.now(),
      calming: false,
    };
    this.sessions.set(session, state);
    session.setLocalWindowSize(WINDOW);
    session.setTimeout(this.r.config.timeouts.clientIdleMs, () => {
      if (state.streams === 0) session.close();
    });
    const age = this.connectionAge();
    if (age !== undefined) {
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

  /** Counts a stream the client reset; past the bound the session is closed at once (rapid reset). */
  private clientReset(state: SessionState): void {
    this.resetWindow(state).resets++;
    if (state.resets <= MAX_CLIENT_RESETS || state.resets * 2 < state.opened) return;
    const s = state.session;
    if (s.destroyed || state.calming) return;
    state.calming = true;
    this.r.log.warn('closing an HTTP/2 client connection that resets streams too fast (rapid reset)', {
      remoteAddress: s.socket?.remoteAddress,
      resets: state.resets,
      opened: state.opened,
      windowMs: RESET_WINDOW_MS,
    });
    // GOAWAY first, the close a moment later: closing a socket with unread input sends a TCP reset, and the client's
    // kernel may then drop the GOAWAY unread. nghttp2 ignores new streams after a GOAWAY, so the grace costs little.
    // destroy() gets an error, not undefined: its first parameter defaults to NO_ERROR, which would override the code.
    s.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    setTimeout(() => s.destroy(new Error('the client reset streams too fast'), NGHTTP2_ENHANCE_YOUR_CALM), GOAWAY_GRACE_MS).unref();
  }

  /** The session's reset counters, started afresh once RESET_WINDOW_MS has passed. */
  private resetWindow(state: SessionState): SessionState {
    const now = this.r.now();
    if (now - state.resetWindowStart >= RESET_WINDOW_MS) {
      state.resetWindowStart = now;
      state.opened = 0;
      state.resets = 0;
    }
    return state;
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
