/**
 * Image references: pinned or refused.
 */
import { IConstruct } from 'constructs';
import { invalid } from './errors';

/** The pinned stock Node image the proxy runs on by default (Node 24 LTS; runs as the image's `node` user, uid 1000). */
export const DEFAULT_PROXY_IMAGE = 'node:24.11.1-alpine3.22';

/**
 * Throws unless `image` names a tag other than `latest`, or a digest.
 *
 * `registry:5000/repo` has a colon but no tag: the tag is what follows the last colon after the last slash.
 */
export function checkPinnedImage(scope: IConstruct, what: string, image: string): void {
  if (image.trim() === '' || /\s/.test(image)) {
    invalid(scope, what, image, 'give an image reference such as "nginxinc/nginx-unprivileged:1.27-alpine"');
  }
  if (image.includes('@')) {
    if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
      invalid(scope, what, image, 'a digest must be "@sha256:" followed by 64 lowercase hex digits');
    }
    return;
  }
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? undefined : lastSegment.slice(colon + 1);
  if (tag === undefined || tag === '') {
    invalid(scope, what, image, `pin the image to a version tag or digest, e.g. "${image}:1.2.3" or "${image}@sha256:<digest>"`);
  }
  if (tag === 'latest') {
    invalid(scope, what, image, 'replace ":latest" with a version tag or a digest, so every rollout runs the same bits');
  }
}
