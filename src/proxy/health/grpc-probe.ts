/**
 * The active health check of a grpc listener: the standard grpc.health.v1.Health/Check
 * (grpc/grpc doc/health-checking.md), spoken over node:http2 with one long-lived session per endpoint.
 *
 * The messages are tiny protobufs, written and read here by hand rather than with a protobuf library:
 * - HealthCheckRequest { string service = 1; }: field 1, wire type 2 (tag 0x0a), a varint length, the UTF-8 bytes;
 *   nothing at all for the empty service (the server as a whole).
 * - HealthCheckResponse { ServingStatus status = 1; }: field 1, wire type 0 (tag 0x08), a varint; SERVING is 1.
 * Each goes in the gRPC length-prefixed frame: a compressed flag byte (0), a 4-byte big-endian length, the message.
 *
 * A check passes only on HTTP 200, grpc-status 0 and status SERVING. A check that times out destroys the session, so
 * a half-open connection does not fail every later check of an endpoint that came back.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { Probe } from './active';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
const SERVING = 1;
const { NGHTTP2_CANCEL } = http2.constants;

export class GrpcHealthProbe {
  private readonly sessions = new Map<UpstreamEndpoint, http2.ClientHttp2Session>();
  private readonly body: Buffer;

  /** @param service the service to ask about; '' asks about the server as a whole */
  public constructor(service = '') {
    this.body = grpcFrame(healthCheckRequest(service));
  }

  /** The Probe the ActiveHealthChecker calls (the HTTP path is not used). */
  public readonly probe: Probe = (ep, _path, timeoutMs) =>
    new Promise((resolve) => {
      let session: http2.ClientHttp2Session;
      try {
        session = this.session(ep);
      } catch {
        resolve(false);
        return;
      }
      let settled = false;
      let st: http2.ClientHttp2Stream | undefined;
      const finish = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => {
        finish(false);
        if (st !== undefined && !st.closed) st.close(NGHTTP2_CANCEL);
        this.forget(ep);
      }, timeoutMs);
      try {
        st = session.request({
          ':method': 'POST',
          ':path': HEALTH_CHECK_PATH,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
          'user-agent': 'cdk8s-balancer-health',
        });
      } catch {
        finish(false);
        this.forget(ep);
        return;
      }
      let httpStatus = 0;
      let grpcStatus: string | undefined;
      const chunks: Buffer[] = [];
      st.on('response', (h) => {
        httpStatus = Number(h[':status']);
        grpcStatus = headerValue(h['grpc-status']) ?? grpcStatus; // Trailers-Only puts it in the head
      });
      st.on('trailers', (t) => (grpcStatus = headerValue(t['grpc-status']) ?? grpcStatus));
      st.on('data', (d: Buffer) => chunks.push(d));
      st.on('error', () => finish(false));
      st.on('close', () => finish(httpStatus === 200 && grpcStatus === '0' && servingStatus(Buffer.concat(chunks)) === SERVING));
      st.end(this.body);
    });

  /** The endpoint left the set: its session closes. */
  public forget(ep: UpstreamEndpoint): void {
    const s = this.sessions.get(ep);
    this.sessions.delete(ep);
    s?.destroy();
  }

  public stop(): void {
    for (const ep of [...this.sessions.keys()]) this.forget(ep);
  }

  private session(ep: UpstreamEndpoint): http2.ClientHttp2Session {
    const known = this.sessions.get(ep);
    if (known !== undefined && !known.closed && !known.destroyed) return known;
    const host = net.isIPv6(ep.address) ? `[${ep.address}]` : ep.address;
    const s = http2.connect(`http://${host}:${ep.port}`, { settings: { enablePush: false } });
    s.on('error', () => undefined); // its streams fail and report the check as failed
    s.on('close', () => {
      if (this.sessions.get(ep) === s) this.sessions.delete(ep);
    });
    s.unref();
    this.sessions.set(ep, s);
    return s;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** HealthCheckRequest { service = 1 } as protobuf bytes. */
export function healthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const name = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
}

/** A gRPC length-prefixed message, uncompressed. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/**
 * The `status` of a framed HealthCheckResponse: 0 (UNKNOWN, proto3's default) when absent, -1 when the bytes are not
 * one uncompressed, well-formed message.
 */
export function servingStatus(body: Buffer): number {
  if (body.length < 5 || body[0] !== 0) return -1;
  const len = body.readUInt32BE(1);
  if (body.length !== 5 + len) return -1;
  let status = 0;
  let i = 5;
  const readVarint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (i >= body.length) throw new RangeError('truncated varint');
      const b = body[i++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new RangeError('varint too long');
  };
  try {
    while (i < body.length) {
      const tag = readVarint();
      const wire = tag & 7;
      if (wire === 0) {
        const v = readVarint();
        if (tag >>> 3 === 1) status = v;
      } else if (wire === 1) i += 8;
      else if (wire === 2) {
        const n = readVarint(); // read first: `i += readVarint()` would add to the i from before the length
        i += n;
      }
      else if (wire === 5) i += 4;
      else return -1;
    }
  } catch {
    return -1;
  }
  return i === body.length ? status : -1;
}
