/**
 * Which Node runs the proxy in tests: the pod image's Node (24.11.1, fetched by scripts/pod-node.sh) when it is
 * installed, else this process's Node. LB_PROXY_NODE overrides both. The e2e test runs the proxy on both runtimes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const POD_NODE = join(__dirname, '../../.pod-node/package/bin/node');

export const PROXY_NODE = process.env.LB_PROXY_NODE ?? (existsSync(POD_NODE) ? POD_NODE : process.execPath);

/** Every runtime the end-to-end test drives the proxy on: this Node, and the pod's when it differs. */
export const PROXY_NODES: readonly string[] = [...new Set([process.execPath, PROXY_NODE])];
