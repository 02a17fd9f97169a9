/**
 * A two-way byte tunnel after 101 Switching Protocols (WebSocket and other upgrades).
 *
 * Backpressure holds both ways: `pipe` pauses the side that is ahead until the other drains. A half-close is passed
 * on (end after flush); once both halves are closed, or either side errs, both sockets are destroyed. The tunnel
 * counts as one in-flight request on its endpoint until it closes; a drain closes open tunnels at its end.
 */
import type * as net from 'node:net';
import type { Router } from '../router';

/** net.Socket reads this flag when its readable side ends; the typings leave it out. */
type HalfOpen = net.Socket & { allowHalfOpen: boolean };

export function openTunnel(r: Router, client: net.Socket, up: net.Socket, onClosed: () => void): void {
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    r.tunnels.delete(client);
    client.destroy();
    up.destroy();
    onClosed();
  };
  r.tunnels.add(client);
  // Half-open both ways: Node would otherwise answer a FIN with its own at once, and the other side's last bytes
  // could no longer pass.
  (client as HalfOpen).allowHalfOpen = true;
  (up as HalfOpen).allowHalfOpen = true;
  for (const s of [client, up]) {
    s.on('error', close);
    s.on('close', close);
  }
  let ended = 0;
  const halfClosed = (): void => {
    if (++ended === 2) close();
  };
  up.on('end', () => client.end(halfClosed));
  client.on('end', () => up.end(halfClosed));
  up.pipe(client, { end: false });
  client.pipe(up, { end: false });
  up.resume();
}
