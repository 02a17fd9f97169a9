/**
 * Least privilege for the proxy's own RBAC. The only API access the proxy needs is reading the EndpointSlices of its
 * app's Services (Discovery.endpointSlices()); a Role of ours that grants more, or any cluster-wide role or binding of
 * ours, means something slipped in.
 */
import { asArr, asRec, asStr, asStrMap, Manifest, Report } from './manifest';

const OURS = 'cdk8s-balancer';
const ALLOWED_VERBS = new Set(['get', 'list', 'watch']);

export function checkProxyRbac(manifests: readonly Manifest[], report: Report): void {
  for (const m of manifests) {
    if (!m.apiVersion.startsWith('rbac.authorization.k8s.io/')) continue;
    if (asStrMap(asRec(m.raw.metadata)?.labels)['app.kubernetes.io/managed-by'] !== OURS) continue;
    if (m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding') {
      report(m, 'RBAC_TOO_BROAD', 'kind', `the proxy needs no cluster-wide access, yet a ${m.kind} of cdk8s-balancer is here`, m.kind);
      continue;
    }
    if (m.kind !== 'Role') continue;
    asArr(m.raw.rules).forEach((r, i) => {
      const rule = asRec(r) ?? {};
      const groups = asArr(rule.apiGroups).map(asStr);
      const resources = asArr(rule.resources).map(asStr);
      const verbs = asArr(rule.verbs).map(asStr);
      const bad =
        groups.some((g) => g !== 'discovery.k8s.io') ? ['apiGroups', groups] :
        resources.some((x) => x !== 'endpointslices') ? ['resources', resources] :
        verbs.some((v) => v === undefined || !ALLOWED_VERBS.has(v)) ? ['verbs', verbs] :
        rule.resourceNames !== undefined || rule.nonResourceURLs !== undefined ? ['rule', rule] : undefined;
      if (bad) report(m, 'RBAC_TOO_BROAD', `rules[${i}].${bad[0]}`, `a Role of cdk8s-balancer may grant only get, list and watch on discovery.k8s.io endpointslices`, bad[1]);
    });
  }
}
