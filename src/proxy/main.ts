// Placeholder entry point, replaced by the proxy runtime: reads --config, validates it with the shared function.
import { readFileSync } from 'node:fs';
import { validateProxyConfig } from '../config';

const i = process.argv.indexOf('--config');
if (i < 0 || !process.argv[i + 1]) {
  console.error('usage: cdk8s-balancer-proxy --config <file.json>');
  process.exit(2);
}
const config = validateProxyConfig(JSON.parse(readFileSync(process.argv[i + 1], 'utf8')));
console.log(JSON.stringify({ msg: 'config ok', algorithm: config.algorithm.kind }));
