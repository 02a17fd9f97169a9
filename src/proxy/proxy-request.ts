/**
 * One client request, from arrival to the last byte: admission, endpoint choice, the upstream try (an undici
 * dispatch handler), retries on another endpoint, streaming both ways, and the error answers.
 *
 * One object per request serves as the dispatch handler of every try and as the admission queue's waiter, so the
 * hot path allocates this object, the header list and little else: no promises, no closures per request.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import { forwardRequestHeaders, hostProblem, responseHeaderList } from './http/headers';
import type { Waiter } from './resilience/admission';
import { classifyError, FailureKind, hasRequestBody, isIdempotent, retriableFailure } from './resilience/policy';
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

export class ProxyRequest implements Waiter, Dispatcher.DispatchHandler {
  public queueTimer?: NodeJS.Timeout;
  private readonly arrived: number;
  private headers: string[] | undefined;
  private hashKey: string | undefined;
  private retriable = false;
  private withBody = false;
  private admitted = false;
  private finished = false;
  private gone = false;
  private ep: UpstreamEndpoint | undefined;
  private tried: UpstreamEndpoint[] | undefined;
  private attempts = 0;
  private tryStarted = 0;
  private controller: Dispatcher.DispatchController | undefined;
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
    this.withBody = hasRequestBody(req.headers);
    this.retriable = !this.withBody && isIdempotent(method) && r.retry.attempts > 0;
    const given = req.headers['x-request-id'];
    const id = (this.id = typeof given === 'string' ? given : r.ids.next());
    this.headers = forwardRequestHeaders(req.rawHeaders, {
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
    this.controller = undefined;
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

  // ---- undici dispatch handler ----

  public onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.gone) controller.abort(new Error('client closed the request'));
  }

  public onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (status < 200) {
      if (status === 103 && headers.link !== undefined && !this.res.headersSent) {
        this.res.writeEarlyHints({ link: headers.link });
      }
      return;
    }
    const r = this.r;
    const ep = this.ep as UpstreamEndpoint;
    const ok = status < 500;
    r.balancer.onResult(ep, {
      ok,
      status,
      latencyMs: r.now() - this.tryStarted,
      loadReport: r.loadReport(headers),
    });
    if (ok) {
      ep.successes++;
      r.outlier.onSuccess(ep);
    } else {
      ep.failures++;
      r.outlier.onFailure(ep);
      if (r.retry.status.has(status) && this.reserveRetry()) {
        this.discarding = status;
        return;
      }
    }
    const res = this.res;
    if (this.gone) return;
    this.status = status;
    res.writeHead(status, statusMessage || undefined, responseHeaderList(headers, r.draining));
    r.metrics.observe(status, (r.now() - this.arrived) / 1000);
  }

  public onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.discarding !== 0 || this.gone) return;
    if (!this.res.write(chunk) && !this.awaitingDrain) {
      // undici may hand over a few more parsed chunks after pause(); one drain listener is enough for all of them.
      this.awaitingDrain = true;
      c.pause();
      this.res.once('drain', onResponseDrain);
    }
  }

  public onResponseEnd(): void {
    this.endTry();
    if (this.discarding !== 0) {
      const status = this.discarding;
      this.discarding = 0;
      this.retryOrFail(status, undefined);
      return;
    }
    if (!this.gone) this.res.end();
    this.done();
  }

  public onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const ep = this.ep;
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

  public resumeUpstream(): void {
    this.awaitingDrain = false;
    this.controller?.resume();
  }

  public clientGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.controller?.abort(new Error('client closed the request'));
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
    this.controller = undefined;
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
