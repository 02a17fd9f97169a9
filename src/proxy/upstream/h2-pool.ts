/**
 * HTTP/2 upstream sessions: per endpoint, a few long-lived sessions, each carrying up to the endpoint's
 * SETTINGS_MAX_CONCURRENT_STREAMS streams; each try is one stream (h2-stream.ts).
 *
 * - A try takes a stream on the first session with room; another session opens only when every session to that
 *   endpoint is at its stream limit (or draining).
 * - GOAWAY drains a session: it takes no new streams, and the streams the endpoint did not process (above the
 *   GOAWAY's last stream id, or REFUSED_STREAM) fail as "refused", which the exchange retries on another endpoint.
 * - A session is pinged every PING_INTERVAL_MS; one whose ping is not answered within PING_TIMEOUT_MS is dead
 *   (a half-open TCP connection, a frozen pod) and is destroyed, so its streams fail and are retried or reported.
 * - A session with no stream for idleMs closes.
 */
import * as net from 'node:net';
import { H2Session } from '../h2/session';
import type { Deadlines } from '../deadlines';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { ConnectionOwner, ConnectionTimeouts, UpstreamPool } from './connection-owner';
import { H2Stream } from './h2-stream';

export const PING_INTERVAL_MS = 10_000;
export const PING_TIMEOUT_MS = 5_000;
/** Until the endpoint's SETTINGS arrive: RFC 9113 recommends no less than 100. */
const ASSUMED_MAX_STREAMS = 100;
/** Flow-control windows: 64 KiB (the protocol default) would cap one stream at 64 KiB per round trip. */
const WINDOW = 4 * 1024 * 1024;
/** The largest response header list taken from an endpoint. */
const MAX_RESPONSE_HEADER_LIST = 256 * 1024;

export interface H2PoolOptions {
  readonly timeouts: ConnectionTimeouts;
  readonly clock: Deadlines;
  /** Opens the transport to an endpoint: TCP for h2c (the default), or TLS with ALPN h2. */
  readonly connect?: (ep: UpstreamEndpoint) => net.Socket;
  /** `https` when the transport is TLS: the :scheme of the requests. */
  readonly scheme?: 'http' | 'https';
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly now?: () => number;
}

/** One session to an endpoint, with its bookkeeping. */
export class PooledSession {
  public session!: H2Session;
  /** Streams in use plus tries waiting for the connect. */
  public active = 0;
  public maxStreams = ASSUMED_MAX_STREAMS;
  public connected = false;
  public draining = false;
  /** The last stream id of a GOAWAY, or -1. */
  public goawayLast = -1;
  public waiters: ConnectionOwner[] = [];
  public idleSince: number;
  /** When the unanswered PING went out, or 0. */
  public pingSentAt = 0;
  public lastPingAt = 0;
  public error = '';

  public constructor(
    public readonly ep: UpstreamEndpoint,
    now: number,
  ) {
    this.idleSince = now;
  }

  public get hasRoom(): boolean {
    const s = this.session;
    return !this.draining && !s.closed && !s.peerGoaway && this.active < this.maxStreams && this.active < s.idsLeft;
  }
}

export class H2Pools implements UpstreamPool {
  private readonly sessions = new Map<UpstreamEndpoint, PooledSession[]>();
  /** The stream limit each endpoint last announced: new sessions to it start with it. */
  private readonly knownMaxStreams = new WeakMap<UpstreamEndpoint, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  public readonly scheme: 'http' | 'https';

  public constructor(private readonly o: H2PoolOptions) {
    this.now = o.now ?? (() => performance.now());
    this.scheme = o.scheme ?? 'http';
    this.timer = setInterval(() => this.sweep(), Math.min(1_000, o.pingIntervalMs ?? PING_INTERVAL_MS));
    this.timer.unref();
  }

  public get clock(): Deadlines {
    return this.o.clock;
  }

  public get timeouts(): ConnectionTimeouts {
    return this.o.timeouts;
  }

  public acquire(ep: UpstreamEndpoint, owner: ConnectionOwner): void {
    let list = this.sessions.get(ep);
    if (list === undefined) this.sessions.set(ep, (list = []));
    let ps: PooledSession | undefined;
    for (const s of list) {
      if (s.hasRoom) {
        ps = s;
        break;
      }
    }
    if (ps === undefined) list.push((ps = this.open(ep)));
    ps.active++;
    if (ps.connected) owner.onConnected(new H2Stream(this, ps, owner));
    else ps.waiters.push(owner);
  }

  /** The waiters of a session that just learned its stream limit: those above it go to another session. */
  private dispatch(ps: PooledSession): void {
    const waiters = ps.waiters;
    ps.waiters = [];
    const room = Math.max(0, ps.maxStreams - (ps.active - waiters.length));
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      if (i < room) {
        w.onConnected(new H2Stream(this, ps, w));
      } else {
        ps.active--;
        this.acquire(ps.ep, w);
      }
    }
  }

  private open(ep: UpstreamEndpoint): PooledSession {
    const ps = new PooledSession(ep, this.now());
    const socket = this.o.connect ? this.o.connect(ep) : net.connect({ host: ep.address, port: ep.port, noDelay: true });
    ps.maxStreams = this.knownMaxStreams.get(ep) ?? ASSUMED_MAX_STREAMS;
    ps.lastPingAt = ps.idleSince;
    const connectTimer = setTimeout(() => {
      ps.error = `no connection within ${this.o.timeouts.connectMs} ms`;
      ps.session.destroy(ps.error);
    }, this.o.timeouts.connectMs);
    connectTimer.unref();
    ps.session = new H2Session(
      socket,
      { server: false, maxConcurrentStreams: 0, maxHeaderListSize: MAX_RESPONSE_HEADER_LIST, streamWindow: WINDOW, connectionWindow: WINDOW },
      {
        // Streams wait for the endpoint's SETTINGS, not just the TCP connect: until then its stream limit is unknown,
        // and streams opened above it are refused (an endpoint allowing 2 refused 8 of a burst of 10).
        onSettings: () => {
          ps.maxStreams = Math.max(1, Math.min(ps.session.peerMaxStreams, 1_000));
          this.knownMaxStreams.set(ep, ps.maxStreams);
          if (!ps.connected && !ps.session.closed) {
            clearTimeout(connectTimer);
            ps.connected = true;
            this.dispatch(ps);
          }
        },
        onGoaway: (last) => {
          ps.draining = true;
          ps.goawayLast = last;
        },
        onPingAck: () => {
          ps.pingSentAt = 0;
        },
        onClose: (error) => {
          clearTimeout(connectTimer);
          ps.error ||= error ?? '';
          ps.draining = true;
          this.remove(ps);
          const waiters = ps.waiters;
          ps.waiters = [];
          ps.active -= waiters.length;
          for (const w of waiters) w.onFailure('connect-failure', ps.error || 'the endpoint closed the connection', false);
        },
      },
    );
    // The session must not keep the process alive on its own (the drain decides when to stop).
    socket.unref();
    return ps;
  }

  /** A stream ended: its session has room again, or closes when it is draining and empty. */
  public released(ps: PooledSession): void {
    ps.active--;
    if (ps.active === 0) {
      ps.idleSince = this.now();
      if (ps.draining && !ps.session.closed) ps.session.goaway();
    }
  }

  private remove(ps: PooledSession): void {
    const list = this.sessions.get(ps.ep);
    if (list === undefined) return;
    const i = list.indexOf(ps);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.sessions.delete(ps.ep);
  }

  /** Pings, dead-session detection and idle closing, for every session, once a second. */
  private sweep(): void {
    const now = this.now();
    const interval = this.o.pingIntervalMs ?? PING_INTERVAL_MS;
    const timeout = this.o.pingTimeoutMs ?? PING_TIMEOUT_MS;
    for (const list of this.sessions.values()) {
      for (const ps of [...list]) {
        const s = ps.session;
        if (!ps.connected || s.closed) continue;
        if (ps.pingSentAt > 0) {
          if (now - ps.pingSentAt > timeout) {
            ps.error = `the endpoint did not answer a PING within ${timeout} ms`;
            s.destroy(ps.error);
          }
          continue;
        }
        if (ps.active === 0 && now - ps.idleSince >= this.o.timeouts.idleMs) {
          ps.draining = true;
          s.goaway();
          continue;
        }
        if (now - ps.lastPingAt >= interval) this.ping(ps, now);
      }
    }
  }

  private ping(ps: PooledSession, now: number): void {
    ps.lastPingAt = now;
    ps.pingSentAt = now;
    PING_DATA.writeDoubleBE(now);
    ps.session.ping(PING_DATA);
  }

  public openTo(ep: UpstreamEndpoint): number {
    return this.sessions.get(ep)?.length ?? 0;
  }

  /** The endpoint left the set: its sessions take no new streams and close once their streams end. */
  public retire(ep: UpstreamEndpoint): void {
    const list = this.sessions.get(ep);
    if (list === undefined) return;
    this.sessions.delete(ep);
    for (const ps of list) {
      ps.draining = true;
      if (!ps.session.closed) ps.session.goaway();
    }
  }

  public closeIdle(): void {
    for (const list of this.sessions.values()) {
      for (const ps of list) {
        if (ps.active === 0 && !ps.session.closed) {
          ps.draining = true;
          ps.session.goaway();
        }
      }
    }
  }

  /** Stops the sweep (the proxy stops). */
  public stop(): void {
    clearInterval(this.timer);
    for (const list of this.sessions.values()) for (const ps of list) ps.session.destroy('the proxy is stopping');
    this.sessions.clear();
  }
}

const PING_DATA = Buffer.alloc(8);
