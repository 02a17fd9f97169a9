/**
 * The one module of Kubernetes name rules, shared by the constructs and the manifest validator: table-driven, with
 * the edges apimachinery's validation draws.
 */
import {
  configMapKeyProblem,
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  imageProblem,
  labelKeyProblem,
  labelValueProblem,
  portNameProblem,
} from '../../src/internal/k8s-names';

const RULES = {
  'DNS-1123 label': (s: string) => dns1123LabelProblem(s),
  'DNS-1035 label': (s: string) => dns1035LabelProblem(s),
  'DNS-1123 subdomain': dns1123SubdomainProblem,
  'port name': portNameProblem,
  'label value': labelValueProblem,
  'label key': labelKeyProblem,
  'ConfigMap key': configMapKeyProblem,
};

// rule, input, valid
const CASES: Array<[keyof typeof RULES, string, boolean]> = [
  ['DNS-1123 label', 'web', true],
  ['DNS-1123 label', '1web', true],
  ['DNS-1123 label', 'a'.repeat(63), true],
  ['DNS-1123 label', 'a'.repeat(64), false],
  ['DNS-1123 label', 'Web', false],
  ['DNS-1123 label', 'web-', false],
  ['DNS-1123 label', '-web', false],
  ['DNS-1123 label', 'we.b', false],
  ['DNS-1123 label', '', false],
  ['DNS-1035 label', 'web-1', true],
  ['DNS-1035 label', '1web', false],
  ['DNS-1035 label', 'a'.repeat(63), true],
  ['DNS-1035 label', 'a'.repeat(64), false],
  ['DNS-1123 subdomain', 'cdk8s-balancer-proxy-0123456789', true],
  ['DNS-1123 subdomain', 'a.b.c', true],
  ['DNS-1123 subdomain', 'a..b', false],
  ['DNS-1123 subdomain', 'A.b', false],
  ['DNS-1123 subdomain', 'a'.repeat(253), true],
  ['DNS-1123 subdomain', 'a'.repeat(254), false],
  ['port name', 'http', true],
  ['port name', 'h2c', true],
  ['port name', 'http-metrics', true],
  ['port name', 'a'.repeat(15), true],
  ['port name', 'a'.repeat(16), false],
  ['port name', 'my--http', false],
  ['port name', '8080', false],
  ['port name', '-http', false],
  ['port name', 'http-', false],
  ['port name', 'HTTP', false],
  ['label value', '', true],
  ['label value', 'v1.2_3-x', true],
  ['label value', 'a'.repeat(63), true],
  ['label value', 'a'.repeat(64), false],
  ['label value', '-a', false],
  ['label value', 'a b', false],
  ['label key', 'app.kubernetes.io/name', true],
  ['label key', 'cdk8s-balancer/access-hello', true],
  ['label key', 'name', true],
  ['label key', 'Bad_Prefix/name', false],
  ['label key', 'example.com/', false],
  ['label key', `x/${'a'.repeat(64)}`, false],
  ['ConfigMap key', 'config.json', true],
  ['ConfigMap key', 'a_b-c.d', true],
  ['ConfigMap key', '..', false],
  ['ConfigMap key', 'not valid!', false],
  ['ConfigMap key', 'a/b', false],
  ['ConfigMap key', 'a'.repeat(254), false],
];

describe('Kubernetes name rules', () => {
  test.each(CASES)('%s %j is valid: %s', (rule, input, valid) => {
    expect(RULES[rule](input) === undefined).toBe(valid);
  });

  test('a DNS-1035 label can be held to a shorter limit, as our app and subset names are', () => {
    expect(dns1035LabelProblem('a'.repeat(41), 40)).toBe('is 41 characters, over the 40 allowed');
  });

  test.each([
    ['nginx:1.27.2', undefined],
    ['registry.example.com:5000/team/app:v3', undefined],
    [`node@sha256:${'0'.repeat(64)}`, undefined],
    ['node', 'untagged'],
    ['node:', 'untagged'],
    ['registry.example.com:5000/app', 'untagged'],
    ['node:latest', 'latest'],
    ['node@sha256:abc', 'malformed-digest'],
    [`node@sha256:${'A'.repeat(64)}`, 'malformed-digest'],
    ['node:1.0:extra', 'malformed'],
    ['node :1', 'malformed'],
    ['', 'malformed'],
  ])('image %j: %s', (image, problem) => {
    expect(imageProblem(image)).toBe(problem);
  });
});
