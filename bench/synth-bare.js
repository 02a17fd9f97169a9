// The same objects LoadBalancedApp makes by default, written with bare cdk8s-plus-27 (and a plain ApiObject for
// the PodDisruptionBudget, which cdk8s-plus-27 lacks): per app a config ConfigMap, a headless Service, the app
// Deployment, its PDB, the gateway's config ConfigMap, the gateway Deployment and PDB, the client Service and a
// NetworkPolicy; plus one proxy-bundle ConfigMap per chart. Same labels, probes, security contexts and volumes.
'use strict';
const path = require('node:path');

function addBareApps(chart, apps, k) {
  const { kplus, ApiObject, Duration, Size, createHash, readFileSync } = k;
  const sha = (s) => createHash('sha256').update(s).digest('hex');
  const bundle = readFileSync(path.join(__dirname, '..', 'lib', 'proxy.bundle.js'), 'utf8');
  const bundleMap = new kplus.ConfigMap(chart, 'Bundle', {
    metadata: { name: `cdk8s-balancer-proxy-${sha(bundle).slice(0, 10)}` }, immutable: true, data: { 'proxy.js': bundle },
  });
  const restricted = (user) => ({
    ensureNonRoot: true, privileged: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, user, group: user,
  });
  const podSecurity = (user) => ({ ensureNonRoot: true, user, group: user, fsGroup: user });
  const seccomp = (d) => d.apiObject.addJsonPatch(require('cdk8s').JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
  const dropAll = (d, n) => d.apiObject.addJsonPatch(require('cdk8s').JsonPatch.add(`/spec/template/spec/containers/${n}/securityContext/capabilities`, { drop: ['ALL'] }));
  const pdb = (id, name, labels) => new ApiObject(chart, id, {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  const { JsonPatch } = require('cdk8s');
  const patch = (obj, p, v) => obj.apiObject.addJsonPatch(JsonPatch.add(p, v));
  const spread = (d, labels) => patch(d, '/spec/template/spec/topologySpreadConstraints', [
    { labelSelector: { matchLabels: labels }, maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  ]);
  const tmp = (id) => kplus.Volume.fromEmptyDir(chart, id, 'tmp', { sizeLimit: Size.mebibytes(64) });

  for (let i = 0; i < apps; i++) {
    const name = `app${i}`;
    const data = k.config(i);
    const appLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'app', 'cdk8s-balancer/subset': 'default' };
    const gwLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'gateway' };
    const cm = new kplus.ConfigMap(chart, `Config${i}`, { metadata: { name: `${name}-config-${sha(JSON.stringify(data)).slice(0, 10)}` }, immutable: true, data });

    const headless = new kplus.Service(chart, `Headless${i}`, {
      metadata: { name: `${name}-headless` }, clusterIP: 'None', ports: [{ name: 'http', port: k.APP_PORT, targetPort: k.APP_PORT }],
    });
    for (const [l, v] of Object.entries(appLabels)) headless.selectLabel(l, v);
    patch(headless, '/spec/publishNotReadyAddresses', false);

    const probe = (period, failures) => kplus.Probe.fromTcpSocket({ port: k.APP_PORT, periodSeconds: Duration.seconds(period), failureThreshold: failures });
    const d = new kplus.Deployment(chart, `App${i}`, {
      metadata: { name, labels: appLabels }, replicas: k.REPLICAS, select: false, securityContext: podSecurity(65532),
      automountServiceAccountToken: false, podMetadata: { labels: appLabels, annotations: { 'cdk8s-balancer/checksum': sha(name) } },
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    });
    for (const [l, v] of Object.entries(appLabels)) d.select(kplus.LabelSelector.of({ labels: { [l]: v } }));
    const c = d.addContainer({
      name: 'app', image: k.IMAGE, imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT, ports: [{ name: 'http', number: k.APP_PORT }],
      readiness: probe(5, 2), liveness: probe(10, 3), startup: probe(2, 30), envFrom: [kplus.Env.fromConfigMap(cm)],
      resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) } },
      securityContext: restricted(65532),
    });
    c.mount('/tmp', tmp(`Tmp${i}`));
    seccomp(d);
    dropAll(d, 0);
    patch(d, '/spec/revisionHistoryLimit', 5);
    spread(d, appLabels);
    pdb(`Budget${i}`, name, appLabels);

    const gwConfig = JSON.stringify({ version: 1, listener: { host: '0.0.0.0', port: k.GATEWAY_PORT }, upstream: { name, port: k.APP_PORT, sources: [{ kind: 'dns', hostname: `${name}-headless.default.svc.cluster.local` }] }, algorithm: { kind: 'round-robin' } }, null, 2);
    const gwCm = new kplus.ConfigMap(chart, `GatewayConfig${i}`, { metadata: { name: `${name}-lb-gateway-${sha(gwConfig).slice(0, 10)}` }, immutable: true, data: { 'config.json': gwConfig } });
    const gw = new kplus.Deployment(chart, `Gateway${i}`, {
      metadata: { name: `${name}-gateway`, labels: gwLabels }, replicas: 2, select: false, securityContext: podSecurity(1000),
      automountServiceAccountToken: false,
      podMetadata: { labels: { ...gwLabels, [`cdk8s-balancer/access-${name}`]: 'true' }, annotations: { 'cdk8s-balancer/checksum': sha(gwConfig) } },
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    });
    for (const [l, v] of Object.entries(gwLabels)) gw.select(kplus.LabelSelector.of({ labels: { [l]: v } }));
    const http = (p, period, failures) => kplus.Probe.fromHttpGet(p, { port: k.ADMIN_PORT, periodSeconds: Duration.seconds(period), failureThreshold: failures });
    const proxy = gw.addContainer({
      name: 'proxy', image: 'node:24.11.1-alpine3.22', imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['node', '/opt/cdk8s-balancer/proxy.js', '--config', '/etc/cdk8s-balancer/config.json'],
      ports: [{ name: 'http', number: k.GATEWAY_PORT }, { name: 'admin', number: k.ADMIN_PORT }],
      readiness: http('/readyz', 5, 2), liveness: http('/healthz', 10, 3), startup: http('/healthz', 1, 30),
      resources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
      securityContext: restricted(1000),
    });
    proxy.mount('/etc/cdk8s-balancer', kplus.Volume.fromConfigMap(chart, `GwCfgVol${i}`, gwCm, { name: 'lb-config' }), { readOnly: true });
    proxy.mount('/opt/cdk8s-balancer', kplus.Volume.fromConfigMap(chart, `GwBundleVol${i}`, bundleMap, { name: 'lb-bundle' }), { readOnly: true });
    proxy.mount('/tmp', kplus.Volume.fromEmptyDir(chart, `GwTmp${i}`, 'lb-tmp', { sizeLimit: Size.mebibytes(64) }));
    seccomp(gw);
    dropAll(gw, 0);
    patch(gw, '/spec/revisionHistoryLimit', 5);
    spread(gw, gwLabels);
    pdb(`GatewayBudget${i}`, `${name}-gateway`, gwLabels);

    const svc = new kplus.Service(chart, `Service${i}`, { metadata: { name }, ports: [{ name: 'http', port: k.APP_PORT, targetPort: k.GATEWAY_PORT }] });
    for (const [l, v] of Object.entries(gwLabels)) svc.selectLabel(l, v);

    const np = new kplus.NetworkPolicy(chart, `NetworkPolicy${i}`, {
      metadata: { name: `${name}-app` },
      selector: kplus.Pods.select(chart, `AppPods${i}`, { labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'app' } }),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    np.addIngressRule(kplus.Pods.select(chart, `BalancerPods${i}`, { labels: { [`cdk8s-balancer/access-${name}`]: 'true' } }), [kplus.NetworkPolicyPort.tcp(k.APP_PORT)]);
  }
}

module.exports = { addBareApps };
