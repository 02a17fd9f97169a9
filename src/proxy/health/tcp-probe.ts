/**
 * The active health check of a tcp listener: an endpoint passes when a TCP connect to it completes within timeoutMs.
 * The proxy balances bytes it does not understand, so a completed handshake is all it can ask of an endpoint (the
 * check HAProxy's `check` does in `mode tcp`). The socket is closed at once; nothing is sent.
 */
import * as net from 'node:net';
import type { Probe } from './active';

export const tcpProbe: Probe = (ep, _path, timeoutMs) =>
  new Promise((resolve) => {
    const s = net.connect({ host: ep.address, port: ep.port });
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.once('connect', () => finish(true));
    s.on('error', () => finish(false));
  });
