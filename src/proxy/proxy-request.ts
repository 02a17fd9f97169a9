/**
 * One client request, from arrival to the last byte: admission, endpoint choice, the upstream try (an undici
 * dispatch handler), retries on another endpoint, streaming both ways, and the error answers.
 *
 * One object per request serves as the dispatch handler of every try and as the admission queue's waiter, so the
 * hot path allocates this object, the two header lists and little else: no promises, no closures per request.
 *
 * The handler uses undici's core handler interface (onConnect, onHeaders, onData, onComplete, onError), which its
 * clients call directly. The newer controller interface (onRequestStart, onResponseStart...) is an adapter over it
 * that allocates a wrapper and a controller per request and turns the raw header list into an object (twice, with
 * trailers); measured on the throughput bench, the core interface and a flat header list passed to writeHead cut
 * ~8% of the proxy's CPU per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import {
  forwardRequestHeaders,
  forwardResponseHeaders,
  hostProblem,
  RequestHeadScan,
  ResponseHeadScan,
  scanRequestHead,
} from './http/headers';
import type { Waiter } from './resilience/admission';
import { classifyError, FailureKind, isIdempotent, retriableFailure } from './resilience/policy';
import type { Router } from './router';

const kRequest = Symbol('proxyRequest');
type Tagged = ServerResponse & { [kRequest]?: ProxyRequest };

/** Shared listeners: they find their request through a symbol on the response, so none is created per request. */
function onResponseClose(this: Tagged): void {
  const pr = this[kRequest];
  if (pr !== undefined && !this.writableFinished) pr.clientGone();
}
function onResponseDrain(this: Tagged): void {
  this[kRequest]?.resumeUpstream();
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/**
 * What the proxy refuses before choosing an endpoint, as [status, body]: a request that is the client's fault must
 * never reach, or be blamed on, a backend.
 */
function requestProblem(req: IncomingMessage): [number, string] | undefined {
  if (req.httpVersionMajor !== 1) {
    return req.httpVersionMajor > 1
      ? [505, 'HTTP version not supported: this listener speaks HTTP/1.0 and HTTP/1.1\n']
      : [400, 'bad request: HTTP/0.9 is not supported\n'];
  }
  // Origin-form only: absolute-form is for forward proxies, and asterisk-form (OPTIONS *) has no path to forward.
  if ((req.url ?? '').charCodeAt(0) !== 47 /* / */) {
    return [400, 'bad request: this is a reverse proxy; send an origin-form target such as "/path"\n'];
  }
  const host = hostProblem(req.rawHeaders);
  return host === undefined ? undefined : [400, `bad request: ${host}\n`];
}

const CLIENT_GONE = 'client closed the request';
const LINK = 'link';

export class ProxyRequest implements Waiter, Dispatcher.DispatchHandler, RequestHeadScan, ResponseHeadScan {
  public queueTimer?: NodeJS.Timeout;
  private readonly arrived: number;
  private headers: string[] | undefined;
  private hashKey: string | undefined;
  private retriable = false;
  public withBody = false;
  public givenId = '';
  /** Of the current try's response: Content-Length (-1: none) and the load header's value. */
  public contentLength = -1;
  public loadValue: string | undefined = undefined;
  /** A response body that arrived whole in one chunk, written with res.end() so head and body leave in one write. */
  private held: Buffer | undefined;
  private abortTry: ((err?: Error) => void) | undefined;
  private resumeTry: (() => void) | undefined;
  private admitted = false;
  private finished = false;
  private gone = false;
  private ep: UpstreamEndpoint | undefined;
  private tried: UpstreamEndpoint[] | undefined;
  private attempts = 0;
  private tryStarted = 0;
  /** The try's 5xx is being discarded because a retry is reserved. */
  private discarding = 0;
  private status = 0;
  private id = '';
  private awaitingDrain = false;

  public constructor(
    private readonly r: Router,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.arrived = r.now();
  }

  public start(): void {
    const { req, res, r } = this;
    r.active++;
    (res as Tagged)[kRequest] = this;
    res.on('close', onResponseClose);
    const problem = requestProblem(req);
    if (problem !== undefined) {
      this.reply(problem[0], problem[1]);
      return;
    }
    const method = req.method ?? 'GET';
    const raw = req.rawHeaders;
    scanRequestHead(raw, this);
    this.retriable = !this.withBody && isIdempotent(method) && r.retry.attempts > 0;
    const id = (this.id = this.givenId !== '' ? this.givenId : r.ids.next());
    this.headers = forwardRequestHeaders(raw, {
      remoteAddress: req.socket.remoteAddress,
      proto: 'http',
      requestId: id,
    });
    this.hashKey = r.hashKey(req);
    r.budget.recordRequest();
    if (!r.admission.hasRoom() || !this.tryStart()) r.admission.wait(this);
  }

  /** Admission: start the first try now, or return false to (keep) wait(ing). */
  public tryStart(): boolean {
    if (this.gone || this.finished) return true;
    const r = this.r;
    const choice = r.choose(this.hashKey, undefined);
    if (choice === 'busy') return false;
    if (choice === 'none') {
      r.metrics.pickNone.inc();
      this.reply(503, 'no healthy upstream: no endpoint is available to serve this request\n');
      return true;
    }
    r.admission.acquire();
    this.admitted = true;
    this.send(choice);
    return true;
  }

  public reject(reason: 'queue-full' | 'queue-timeout'): void {
    if (this.gone || this.finished) return;
    this.r.metrics.queueRejected.inc({ reason });
    this.reply(503, `overloaded: ${reason === 'queue-full' ? 'the request queue is full' : 'no capacity within the queue timeout'}\n`);
  }

  private send(ep: UpstreamEndpoint): void {
    this.ep = ep;
    ep.inFlight++;
    this.abortTry = undefined;
    this.resumeTry = undefined;
    this.tryStarted = this.r.now();
    const req = this.req;
    this.r.forwarder.dispatch(
      ep,
      {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: this.headers,
        body: this.withBody ? req : null,
      },
      this,
    );
  }

  // ---- undici dispatch handler (core interface) ----

  public onConnect(abort: (err?: Error) => void): void {
    this.abortTry = abort;
    if (this.gone) abort(new Error(CLIENT_GONE));
  }

  /**
   * The request has been written to the upstream socket (for a streamed body: its last byte). The latency the
   * balancer sees starts here, not at dispatch: undici defers each write on a reused keep-alive socket to the next
   * check phase, and that wait is this process's event-loop lag, not the endpoint's latency. Under load it is of the
   * same order as a fast backend's answer and would blur the difference peak-EWMA is there to see.
   */
  public onRequestSent(): void {
    this.tryStarted = this.r.now();
  }

  public onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) {
      if (status === 103 && !this.res.headersSent) this.earlyHints(raw);
      return true;
    }
    this.resumeTry = resume;
    const r = this.r;
    const ep = this.ep as UpstreamEndpoint;
    const ok = status < 500;
    const headers = forwardResponseHeaders(raw, r.loadHeader, this);
    r.balancer.onResult(ep, {
      ok,
      status,
      latencyMs: r.now() - this.tryStarted,
      loadReport: r.loadReportOf(this.loadValue),
    });
    if (ok) {
      ep.successes++;
      r.outlier.onSuccess(ep);
    } else {
      ep.failures++;
      r.outlier.onFailure(ep);
      if (r.retry.status.has(status) && this.reserveRetry()) {
        this.discarding = status;
        return true;
      }
    }
    if (this.gone) return true;
    if (r.draining) headers.push('connection', 'close');
    this.status = status;
    this.res.writeHead(status, statusText || undefined, headers);
    r.metrics.observe(status, (r.now() - this.arrived) / 1000);
    return true;
  }

  public onData(chunk: Buffer): boolean {
    if (this.discarding !== 0 || this.gone) return true;
    const whole = this.contentLength === chunk.length;
    this.contentLength = -1;
    if (whole) {
      // The whole body is in its first chunk: the end of the message follows in the same parser run.
      this.held = chunk;
      return true;
    }
    const res = this.res;
    if (this.held !== undefined) {
      res.write(this.held);
      this.held = undefined;
    }
    if (res.write(chunk)) return true;
    // undici may hand over a few more parsed chunks after a pause; one drain listener is enough for all of them.
    if (!this.awaitingDrain) {
      this.awaitingDrain = true;
      res.once('drain', onResponseDrain);
    }
    return false;
  }

  public onComplete(): void {
    this.endTry();
    if (this.discarding !== 0) {
      const status = this.discarding;
      this.discarding = 0;
      this.retryOrFail(status, undefined);
      return;
    }
    const held = this.held;
    this.held = undefined;
    if (!this.gone) {
      if (held !== undefined) this.res.end(held);
      else this.res.end();
    }
    this.done();
  }

  public onError(err: Error): void {
    const ep = this.ep;
    this.held = undefined;
    this.endTry();
    if (this.gone) {
      this.done();
      return;
    }
    if (this.res.headersSent) {
      // Upstream died mid-body: the client must see a broken response, not a short one that looks complete.
      this.res.destroy(err);
      this.done();
      return;
    }
    const kind = classifyError(err);
    if (kind === 'invalid-request') {
      // The upstream client refused the request itself (a header it will not send): the client's fault, not the endpoint's.
      this.discarding = 0;
      this.reply(400, 'bad request: the request cannot be forwarded as sent\n');
      return;
    }
    this.r.metrics.failures.inc({ kind });
    if (ep !== undefined && this.discarding === 0) {
      ep.failures++;
      this.r.outlier.onFailure(ep);
      this.r.balancer.onResult(ep, { ok: false, latencyMs: this.r.now() - this.tryStarted });
    }
    const reserved = this.discarding !== 0 || (retriableFailure(kind, this.r.retry) && this.reserveRetry());
    this.discarding = 0;
    if (reserved) this.retryOrFail(0, kind);
    else this.fail(kind);
  }

  private earlyHints(raw: Buffer[]): void {
    const links: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === 4 && raw[i].toString('latin1').toLowerCase() === LINK) links.push(raw[i + 1].toString('latin1'));
    }
    if (links.length > 0) this.res.writeEarlyHints({ link: links.length === 1 ? links[0] : links });
  }

  public resumeUpstream(): void {
    this.awaitingDrain = false;
    this.resumeTry?.();
  }

  public clientGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.abortTry?.(new Error(CLIENT_GONE));
    if (this.ep === undefined || this.finished) this.done();
  }

  // ---- retries and endings ----

  /** Whether a retry may follow this try; takes it from the budget when so. */
  private reserveRetry(): boolean {
    const r = this.r;
    if (!this.retriable || this.gone || this.attempts >= r.retry.attempts) return false;
    // Only whether another endpoint exists: a pick here would advance stateful balancers (round robin) for nothing.
    const tried = this.tried ? [...this.tried, this.ep as UpstreamEndpoint] : [this.ep as UpstreamEndpoint];
    if (!r.hasAlternative(tried)) return false;
    if (!r.budget.tryRetry()) {
      r.metrics.budgetExhausted.inc();
      return false;
    }
    return true;
  }

  private retryOrFail(status: number, kind: FailureKind | undefined): void {
    const r = this.r;
    const last = this.ep as UpstreamEndpoint;
    (this.tried ??= []).push(last);
    const next = this.gone ? 'none' : r.choose(this.hashKey, this.tried);
    if (typeof next === 'string') {
      if (status !== 0) this.reply(status, `upstream answered ${status} and no other endpoint could take a retry\n`);
      else this.fail(kind ?? 'other');
      return;
    }
    this.attempts++;
    r.metrics.retries.inc();
    this.send(next);
  }

  private fail(kind: FailureKind): void {
    if (kind === 'timeout') this.reply(504, 'upstream timeout: the endpoint did not answer in time\n');
    else if (kind === 'connect-failure') this.reply(502, 'upstream connect error: no endpoint accepted the connection\n');
    else this.reply(502, 'upstream reset: the endpoint closed the connection before answering\n');
  }

  private endTry(): void {
    const ep = this.ep;
    if (ep === undefined) return;
    ep.inFlight--;
    this.abortTry = undefined;
    this.resumeTry = undefined;
    if (this.r.admission.queued > 0) this.r.admission.wake();
  }

  /** A proxy-made answer: short text, never a body from anywhere else. */
  private reply(status: number, text: string): void {
    const res = this.res;
    if (!this.gone && !res.headersSent) {
      const h: Record<string, string | number> = { ...TEXT, 'content-length': Buffer.byteLength(text) };
      if (this.r.draining) h.connection = 'close';
      res.writeHead(status, h);
      res.end(text);
      this.status = status;
      this.r.metrics.observe(status, (this.r.now() - this.arrived) / 1000);
    } else if (!res.writableEnded) {
      res.destroy();
    }
    this.done();
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    const r = this.r;
    r.active--;
    if (this.admitted) r.admission.release();
    if (r.accessLog) {
      r.log.info('access', {
        method: this.req.method,
        path: this.req.url,
        status: this.gone && this.status === 0 ? 499 : this.status,
        endpoint: this.ep?.id,
        tries: this.attempts + (this.ep ? 1 : 0),
        ms: r.now() - this.arrived,
        requestId: this.id || undefined,
      });
    }
  }
}
