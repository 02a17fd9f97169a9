/**
 * One client connection in TCP (L4) mode, relayed whole to one endpoint: bytes pass untouched, both ways.
 *
 * States, each with its own deadline (see deadlines.ts):
 * - waiting: in the admission queue (limits.maxInFlight counts open connections, maxInFlightPerEndpoint the open
 *   connections of one endpoint); the queue's own timeout applies. The client socket stays paused (pauseOnConnect).
 * - connecting: timeouts.connectMs. A failed or timed-out connect is reported to the balancer and to outlier detection
 *   (ok: false) and goes to another endpoint while retries.attempts, retryOn `connect-failure` and the retry budget
 *   allow. Nothing reached an endpoint yet, so this is always safe.
 * - open: bytes both ways; timeouts.idleMs without a byte in either direction closes both sides. Each FIN is passed on
 *   by itself (both sockets are allowHalfOpen), so a client that ends its writes still gets the endpoint's answer, and
 *   an endpoint that ends first still gets what the client sends. A reset (an error close) on one side resets the other,
 *   so an abort never looks like a clean end of stream.
 * - closed.
 *
 * The endpoint counts the connection in flight for its whole life, so least-connections balances open connections.
 * The latency the balancer learns (peak-EWMA) is the connect time: the only round trip an L4 proxy sees.
 *
 * Why not stream.pipe(): the idle deadline must see every chunk, and the close rules above (clean end vs. reset) need
 * the close events of both sockets anyway; the pause/resume below is pipe's backpressure, written out.
 */
import * as net from 'node:net';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { Expiring } from '../deadlines';
import type { CxResult } from '../metrics/registry';
import type { Waiter } from '../resilience/admission';
import { recordTry, retryVerdict } from '../resilience/try-outcome';
import type { Router } from '../router';

const enum State {
  Waiting,
  Connecting,
  Open,
  Closed,
}

export interface RelayHooks {
  closed(relay: TcpRelay): void;
}

const NO_HEADERS: readonly string[] = [];
const noop = (): void => undefined;

export class TcpRelay implements Waiter, Expiring {
  public queueTimer?: NodeJS.Timeout;
  public deadline = Infinity;
  private state = State.Waiting;
  private upstream: net.Socket | undefined;
  /** The endpoint that counts this connection in flight, while one does. */
  private ep: UpstreamEndpoint | undefined;
  private endpointId = '';
  private tried: UpstreamEndpoint[] | undefined;
  private attempts = 0;
  private admitted = false;
  private tryStarted = 0;
  private readonly arrived: number;
  private readonly hashKey: string | undefined;
  private readonly idleMs: number;
  private clientEnded = false;
  private upstreamEnded = false;
  private clientClosed = false;
  private upstreamClosed = false;
  private detail = '';

  public constructor(
    private readonly r: Router,
    private readonly client: net.Socket,
    private readonly hooks: RelayHooks,
  ) {
    this.arrived = r.now();
    this.idleMs = r.config.timeouts.idleMs;
    this.hashKey = r.config.algorithm.kind === 'consistent-hash' ? r.hashKeyOf(NO_HEADERS, client.remoteAddress) : undefined;
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
    r.active++;
    r.metrics.cxActive++;
    r.budget.recordRequest();
  }

  /** Admission, then the first connect (or a place in the queue). */
  public start(): void {
    const r = this.r;
    if (!r.admission.hasRoom() || !this.tryStart()) r.admission.wait(this);
  }

  // ---- admission (Waiter) ----

  public tryStart(): boolean {
    if (this.state !== State.Waiting) return true;
    const r = this.r;
    // An ejected endpoint's probe may be a connection: a failed connect goes elsewhere, so the client never pays for it.
    const choice = r.choose(this.hashKey, undefined, true);
    if (choice === 'busy') return false;
    if (choice === 'none') {
      r.metrics.pickNone.inc();
      this.abort('no-endpoint', 'no endpoint is eligible');
      return true;
    }
    r.admission.acquire();
    this.admitted = true;
    this.connect(choice);
    return true;
  }

  public reject(reason: 'queue-full' | 'queue-timeout'): void {
    if (this.state !== State.Waiting) return;
    this.r.metrics.queueRejected.inc({ reason });
    this.abort('overloaded', reason === 'queue-full' ? 'the admission queue is full' : 'no capacity within the queue timeout');
  }

  // ---- connecting ----

  private connect(ep: UpstreamEndpoint): void {
    const r = this.r;
    this.state = State.Connecting;
    this.ep = ep;
    this.endpointId = ep.id;
    ep.inFlight++;
    this.tryStarted = r.now();
    const s = net.connect({ host: ep.address, port: ep.port, allowHalfOpen: true, noDelay: true });
    this.upstream = s;
    s.on('connect', this.onUpstreamConnect);
    s.on('error', this.onUpstreamError);
    s.on('close', this.onUpstreamClose);
    this.deadline = r.clock.in(r.config.timeouts.connectMs);
    r.clock.add(this);
  }

  private readonly onUpstreamConnect = (): void => {
    if (this.state !== State.Connecting) return;
    const r = this.r;
    const s = this.upstream as net.Socket;
    const client = this.client;
    recordTry(r, this.ep as UpstreamEndpoint, { ok: true, latencyMs: r.now() - this.tryStarted });
    this.state = State.Open;
    this.deadline = r.clock.in(this.idleMs);
    client.on('data', this.onClientData);
    client.on('end', this.onClientEnd);
    client.on('drain', this.onClientDrain);
    s.on('data', this.onUpstreamData);
    s.on('end', this.onUpstreamEnd);
    s.on('drain', this.onUpstreamDrain);
    client.resume();
  };

  /** The try on the current endpoint failed before it connected: feedback, then another endpoint or the end. */
  private connectFailed(detail: string): void {
    const r = this.r;
    const ep = this.ep as UpstreamEndpoint;
    this.dropUpstream();
    r.metrics.failures.inc({ kind: 'connect-failure' });
    recordTry(r, ep, { ok: false, latencyMs: r.now() - this.tryStarted });
    this.endTry();
    this.deadline = Infinity;
    const verdict = retryVerdict(r, r.retry.connectFailure, this.attempts, this.tried, ep);
    if (verdict === 'budget-exhausted') r.metrics.budgetExhausted.inc();
    if (verdict === 'retry') {
      (this.tried ??= []).push(ep);
      const next = r.choose(this.hashKey, this.tried, false);
      if (typeof next !== 'string') {
        this.attempts++;
        r.metrics.retries.inc();
        this.connect(next);
        return;
      }
    }
    const tries = this.attempts + 1;
    this.abort('connect-failure', `no endpoint accepted the connection in ${tries} ${tries === 1 ? 'try' : 'tries'}; last: ${ep.id}: ${detail}`);
  }

  /** Lets go of a socket that never connected, so its late events reach nobody. */
  private dropUpstream(): void {
    const s = this.upstream;
    if (s === undefined) return;
    this.upstream = undefined;
    s.removeAllListeners();
    s.on('error', noop);
    s.destroy();
  }

  // ---- open: bytes, backpressure, half-close ----

  private readonly onClientData = (d: Buffer): void => {
    this.deadline = this.r.clock.in(this.idleMs);
    if (!(this.upstream as net.Socket).write(d)) this.client.pause();
  };

  private readonly onUpstreamData = (d: Buffer): void => {
    this.deadline = this.r.clock.in(this.idleMs);
    if (!this.client.write(d)) (this.upstream as net.Socket).pause();
  };

  private readonly onUpstreamDrain = (): void => {
    this.client.resume();
  };

  private readonly onClientDrain = (): void => {
    this.upstream?.resume();
  };

  private readonly onClientEnd = (): void => {
    this.clientEnded = true;
    this.upstream?.end();
  };

  private readonly onUpstreamEnd = (): void => {
    this.upstreamEnded = true;
    this.client.end();
  };

  // ---- closing ----

  private readonly onClientError = (err: Error): void => {
    this.detail ||= `client: ${errText(err)}`;
  };

  private readonly onUpstreamError = (err: Error): void => {
    if (this.state === State.Connecting) this.connectFailed(errText(err));
    else this.detail ||= `endpoint: ${errText(err)}`;
  };

  private readonly onClientClose = (hadError: boolean): void => {
    this.clientClosed = true;
    switch (this.state) {
      case State.Waiting:
        this.r.admission.remove(this);
        this.finish('aborted');
        return;
      case State.Connecting:
        this.abandonConnect();
        this.finish('aborted');
        return;
      case State.Open:
        if (this.upstreamClosed) this.finish('proxied');
        else if (hadError || !this.upstreamEnded) this.upstream?.resetAndDestroy(); // its close event finishes
        return;
      default:
    }
  };

  private readonly onUpstreamClose = (hadError: boolean): void => {
    this.upstreamClosed = true;
    if (this.state !== State.Open) return;
    if (this.clientClosed) this.finish('proxied');
    else if (hadError || !this.clientEnded) this.client.resetAndDestroy(); // its close event finishes
  };

  /** A connect still under way when the client left: not the endpoint's fault, so no feedback. */
  private abandonConnect(): void {
    const ep = this.ep;
    if (ep?.probing) ep.probing = false;
    this.dropUpstream();
  }

  public onDeadline(): void {
    if (this.state === State.Connecting) {
      this.connectFailed(`connect timed out after ${this.r.config.timeouts.connectMs} ms`);
    } else if (this.state === State.Open) {
      this.detail ||= `idle for ${this.idleMs} ms`;
      this.close();
    }
  }

  /** Closes both sides now (idle timeout, the end of a drain). */
  public close(): void {
    switch (this.state) {
      case State.Waiting:
        this.r.admission.remove(this);
        return this.abort('aborted', 'the proxy stopped');
      case State.Connecting:
        this.abandonConnect();
        return this.abort('aborted', 'the proxy stopped');
      case State.Open:
        this.upstream?.destroy();
        this.client.destroy();
        return this.finish('proxied');
      default:
    }
  }

  /** Ends a connection that never reached an endpoint: a reset, so the client cannot mistake it for an empty answer. */
  private abort(result: CxResult, detail: string): void {
    this.detail = detail;
    this.client.resetAndDestroy();
    this.finish(result);
  }

  private endTry(): void {
    const ep = this.ep;
    if (ep === undefined) return;
    ep.inFlight--;
    this.ep = undefined;
    if (this.r.admission.queued > 0) this.r.admission.wake();
  }

  private finish(result: CxResult): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    const r = this.r;
    r.clock.delete(this);
    this.endTry();
    r.active--;
    r.metrics.cxActive--;
    if (this.admitted) r.admission.release();
    const rx = this.client.bytesRead;
    const tx = this.client.bytesWritten;
    r.metrics.countCx(result, rx, tx);
    if (r.accessLog) {
      r.log.info('access', {
        protocol: 'tcp',
        client: `${this.client.remoteAddress ?? '?'}:${this.client.remotePort ?? '?'}`,
        result,
        endpoint: this.endpointId || undefined,
        tries: this.endpointId ? this.attempts + 1 : 0,
        rx,
        tx,
        ms: Math.round(r.now() - this.arrived),
        detail: this.detail || undefined,
      });
    } else if (result === 'connect-failure') {
      r.log.debug('tcp connection refused', { client: this.client.remoteAddress, detail: this.detail });
    }
    this.hooks.closed(this);
  }
}

function errText(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code} ${err.message}` : err.message;
}
