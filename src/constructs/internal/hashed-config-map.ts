/**
 * Immutable ConfigMaps named by a hash of their content: a change makes a new object, and the pods that mount it roll.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { configMapKeyProblem } from '../../internal/k8s-names';
import { PropsError } from '../errors';
import { MAX_CONFIGMAP_BYTES, sha256 } from './proxy-bundle';

/** An immutable ConfigMap `<baseName>-<first 10 hex of sha256(data)>`. */
export class HashedConfigMap extends Construct {
  /** Hex sha256 of the data (keys sorted). */
  public readonly hash: string;
  public readonly configMap: kplus.ConfigMap;

  constructor(scope: Construct, id: string, baseName: string, namespace: string | undefined, data: Record<string, string>) {
    super(scope, id);
    const keys = Object.keys(data).sort();
    for (const key of keys) {
      if (configMapKeyProblem(key) !== undefined) {
        throw new PropsError('LB_PROPS_INVALID', this.node.path, `ConfigMap key ${JSON.stringify(key)} is invalid; fix: use letters, digits, "-", "_" and "."`);
      }
    }
    const bytes = keys.reduce((n, k) => n + Buffer.byteLength(k) + Buffer.byteLength(data[k]), 0);
    if (bytes > MAX_CONFIGMAP_BYTES) {
      throw new PropsError(
        'LB_PROPS_INVALID',
        this.node.path,
        `ConfigMap ${baseName} would hold ${bytes} bytes, over the ${MAX_CONFIGMAP_BYTES}-byte budget under Kubernetes' 1 MiB object limit (got keys ${keys.join(', ')}); fix: move large files into the image or a volume`,
      );
    }
    this.hash = sha256(JSON.stringify(keys.map((k) => [k, data[k]])));
    const sorted: Record<string, string> = {};
    for (const k of keys) sorted[k] = data[k];
    this.configMap = new kplus.ConfigMap(this, 'Resource', {
      // The label lets `kubectl apply --prune -l app.kubernetes.io/managed-by=cdk8s-balancer` remove old hashed copies.
      metadata: { name: `${baseName}-${this.hash.slice(0, 10)}`, namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-balancer' } },
      immutable: true,
      data: sorted,
    });
  }
}
