/** $(POD_NAMESPACE) in DNS host names: filled in from the environment at startup, or the config is refused. */
import { ConfigError } from '../../../src/config';
import { expandPodNamespace } from '../../../src/proxy/config-file';

const config = (hostname: string) => ({ upstream: { port: 80, sources: [{ kind: 'dns', hostname }, { kind: 'static', endpoints: [] }] } });
const hostOf = (json: unknown) => (json as ReturnType<typeof config>).upstream.sources[0].hostname;

describe('expandPodNamespace', () => {
  test('replaces the variable with POD_NAMESPACE', () => {
    const json = expandPodNamespace(config('web-headless.$(POD_NAMESPACE).svc.cluster.local'), { POD_NAMESPACE: 'team-a' }, 'c.json');
    expect(hostOf(json)).toBe('web-headless.team-a.svc.cluster.local');
  });

  test('leaves a name without the variable alone, with or without POD_NAMESPACE', () => {
    expect(hostOf(expandPodNamespace(config('web.prod.svc.cluster.local'), {}, 'c.json'))).toBe('web.prod.svc.cluster.local');
  });

  test.each([
    [undefined, 'not set'],
    ['Team_A', '"Team_A"'],
    ['', '""'],
  ])('refuses POD_NAMESPACE=%s, naming the field and the fix', (ns, shown) => {
    const env = ns === undefined ? {} : { POD_NAMESPACE: ns };
    let error: unknown;
    try {
      expandPodNamespace(config('web-headless.$(POD_NAMESPACE).svc.cluster.local'), env, 'c.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`upstream.sources.0.hostname: "web-headless.$(POD_NAMESPACE).svc.cluster.local" needs the pod's namespace, but env POD_NAMESPACE is ${shown}; fix: set POD_NAMESPACE from the downward API`);
  });
});
