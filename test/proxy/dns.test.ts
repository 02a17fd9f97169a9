/**
 * DNS discovery against a real DNS server: dnsmasq serving A records from a hosts file, rewritten mid-test.
 * Skipped, with a message, only when dnsmasq is not installed (CI installs it: apt-get install -y dnsmasq).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { writeFileSync } from 'node:fs';
import { Backend, cleanTmp, endpointsDump, freePort, request, RunningProxy, sleep, startBackend, startProxy, tmpFile, waitFor } from './helpers';

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => spawnSync(p, ['--version']).status === 0);
const describeDns = DNSMASQ ? describe : describe.skip;
if (!DNSMASQ) console.warn('SKIPPED dns discovery tests: dnsmasq is not installed (apt-get install -y dnsmasq)');

describeDns('DNS discovery follows the records', () => {
  let dnsmasq: ChildProcess | undefined;
  let backends: Backend[] = [];
  let proxy: RunningProxy | undefined;
  let hostsFile = '';
  let dnsPort = 0;
  const HOSTS = ['127.0.0.41', '127.0.0.42', '127.0.0.43'];

  function writeHosts(addrs: string[]): void {
    writeFileSync(hostsFile, addrs.map((a) => `${a} app.svc.test`).join('\n') + '\n');
  }

  async function resolved(): Promise<string[]> {
    const r = new dns.Resolver({ timeout: 200, tries: 1 });
    r.setServers([`127.0.0.1:${dnsPort}`]);
    return (await r.resolve4('app.svc.test')).sort();
  }

  beforeAll(async () => {
    const first = await startBackend(HOSTS[0]);
    backends = [first, ...(await Promise.all(HOSTS.slice(1).map((h) => startBackend(h, undefined, first.port))))];
    hostsFile = tmpFile('hosts', '');
    writeHosts(HOSTS.slice(0, 2));
    dnsPort = await freePort();
    dnsmasq = spawn(
      DNSMASQ as string,
      ['--no-daemon', '--no-resolv', '--no-hosts', `--addn-hosts=${hostsFile}`, `--port=${dnsPort}`, '--listen-address=127.0.0.1',
        '--bind-interfaces', '--conf-file=/dev/null', '--user=root', '--pid-file=', '--local-ttl=1'],
      { stdio: 'ignore' },
    );
    await waitFor(async () => (await resolved()).length === 2, 5000, 'dnsmasq answering');
  });

  afterAll(async () => {
    await proxy?.stop();
    dnsmasq?.kill('SIGKILL');
    await Promise.all(backends.map((b) => b.close()));
    cleanTmp();
  });

  test('resolves the name, follows added and removed records after SIGHUP, and keeps the last good set when DNS dies', async () => {
    // The config names a dead server; LB_DNS_SERVERS overrides it, as the env var promises.
    proxy = await startProxy(
      {
        upstream: {
          port: backends[0].port,
          sources: [{ kind: 'dns', hostname: 'app.svc.test', servers: ['127.0.0.1:1'], refreshIntervalMs: 1000, family: 4 }],
        },
      },
      { env: { LB_DNS_SERVERS: `127.0.0.1:${dnsPort}` } },
    );
    const p = proxy;
    const ids = async () => (await endpointsDump(p)).endpoints.map((e) => e.id.split(':')[0]).sort();
    expect(await ids()).toEqual(HOSTS.slice(0, 2));
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(String((await request(p.host, p.port, '/')).headers['x-backend']));
    expect([...seen].sort()).toEqual(HOSTS.slice(0, 2));

    writeHosts(HOSTS.slice(1));
    dnsmasq?.kill('SIGHUP');
    await waitFor(async () => JSON.stringify(await ids()) === JSON.stringify(HOSTS.slice(1)), 5000, 'the new record set');
    seen.clear();
    for (let i = 0; i < 6; i++) seen.add(String((await request(p.host, p.port, '/')).headers['x-backend']));
    expect([...seen].sort()).toEqual(HOSTS.slice(1));
    expect(p.stdout()).toMatch(/"msg":"endpoint removed","endpoint":"127\.0\.0\.41:/);
    expect(p.stdout()).toMatch(/"msg":"endpoint added","endpoint":"127\.0\.0\.43:/);

    dnsmasq?.kill('SIGKILL');
    await sleep(2500);
    expect(await ids()).toEqual(HOSTS.slice(1));
    expect((await request(p.host, p.adminPort, '/readyz')).status).toBe(200);
    expect(p.stdout()).toContain('keeping the last good endpoint set');
  });
});
