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

const ok = (problem: string | undefined) => problem === undefined;

describe('Kubernetes name rules', () => {
  test.each([
    ['web', true],
    ['1web', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['Web', false],
    ['web-', false],
    ['-web', false],
    ['we.b', false],
    ['', false],
  ])('DNS-1123 label %j: %s', (name, valid) => {
    expect(ok(dns1123LabelProblem(name))).toBe(valid);
  });

  test.each([
    ['web', true],
    ['1web', false],
    ['web-1', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
  ])('DNS-1035 label %j: %s', (name, valid) => {
    expect(ok(dns1035LabelProblem(name))).toBe(valid);
  });

  test('a DNS-1035 label can be held to a shorter limit, as our app and subset names are', () => {
    expect(dns1035LabelProblem('a'.repeat(41), 40)).toBe('is 41 characters, over the 40 allowed');
  });

  test.each([
    ['cdk8s-balancer-proxy-0123456789', true],
    ['a.b.c', true],
    ['a..b', false],
    ['A.b', false],
    ['a'.repeat(253), true],
    ['a'.repeat(254), false],
  ])('DNS-1123 subdomain %j: %s', (name, valid) => {
    expect(ok(dns1123SubdomainProblem(name))).toBe(valid);
  });

  test.each([
    ['http', true],
    ['h2c', true],
    ['http-metrics', true],
    ['a'.repeat(15), true],
    ['a'.repeat(16), false],
    ['my--http', false],
    ['8080', false],
    ['-http', false],
    ['http-', false],
    ['HTTP', false],
  ])('port name %j: %s', (name, valid) => {
    expect(ok(portNameProblem(name))).toBe(valid);
  });

  test.each([
    ['', true],
    ['v1.2_3-x', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['-a', false],
    ['a b', false],
  ])('label value %j: %s', (value, valid) => {
    expect(ok(labelValueProblem(value))).toBe(valid);
  });

  test.each([
    ['app.kubernetes.io/name', true],
    ['cdk8s-balancer/access-hello', true],
    ['name', true],
    ['Bad_Prefix/name', false],
    ['example.com/', false],
    [`x/${'a'.repeat(64)}`, false],
  ])('label key %j: %s', (key, valid) => {
    expect(ok(labelKeyProblem(key))).toBe(valid);
  });

  test.each([
    ['config.json', true],
    ['GREETING', true],
    ['a_b-c.d', true],
    ['..', false],
    ['not valid!', false],
    ['a/b', false],
    ['a'.repeat(254), false],
  ])('ConfigMap key %j: %s', (key, valid) => {
    expect(ok(configMapKeyProblem(key))).toBe(valid);
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
