import { parse } from 'yaml';
import { readText } from './repo.ts';

// Images are pinned: an exact release at least (a floating tag such as node:24-slim or redis:7
// changes under the same name), with its digest once Renovate has added it (.github/renovate.json:
// docker:pinDigests; digests cannot be resolved on a machine without registry access, so none is
// written by hand). The services' base is the Node release of .node-version, the one CI tests.
const nodeVersion = readText('.node-version').trim();
const DIGEST = '(@sha256:[0-9a-f]{64})?';

/** The base image of a Dockerfile (its ARG NODE_IMAGE default), or a reason it is not pinned. */
export function baseImageProblem(dockerfile: string, version: string): string | undefined {
  const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
  if (!image) return 'no ARG NODE_IMAGE';
  const escaped = version.replaceAll('.', '\\.');
  if (!new RegExp(`^node:${escaped}-slim${DIGEST}$`).test(image)) {
    return `${image} is not node:${version}-slim (optionally @sha256:…)`;
  }
  return undefined;
}

/** Service-container images of a workflow that are not an exact x.y.z release. */
export function floatingServiceImages(workflowText: string): string[] {
  const workflow = parse(workflowText) as {
    jobs: Record<string, { services?: Record<string, { image: string }> }>;
  };
  return Object.values(workflow.jobs)
    .flatMap((job) => Object.values(job.services ?? {}).map((service) => service.image))
    .filter((image) => !new RegExp(`^[\\w./-]+:\\d+\\.\\d+\\.\\d+${DIGEST}$`).test(image));
}

describe.each(['producer', 'consumer'])('services/%s/Dockerfile base image', (service) => {
  const dockerfile = readText(`services/${service}/Dockerfile`);

  it('when the image is built, then its base is the exact Node release of .node-version', () => {
    expect(nodeVersion).toMatch(/^24\.\d+\.\d+$/);
    expect(baseImageProblem(dockerfile, nodeVersion)).toBeUndefined();
  });

  it.each([
    ['a floating major', 'node:24-slim'],
    ['a floating minor', `node:${nodeVersion.replace(/\.\d+$/, '')}-slim`],
    ['another release', 'node:24.0.0-slim'],
    ['a short digest', `node:${nodeVersion}-slim@sha256:abc`],
  ])('when the base is %s (control), then the check rejects it', (_, image) => {
    const mutated = dockerfile.replace(/^ARG NODE_IMAGE=\S+$/m, `ARG NODE_IMAGE=${image}`);
    expect(baseImageProblem(mutated, nodeVersion)).toEqual(expect.stringContaining(image));
  });
});

describe('ci.yml service containers', () => {
  const ci = readText('.github/workflows/ci.yml');

  it('when CI starts Kafka and Redis, then each image is an exact release', () => {
    expect(floatingServiceImages(ci)).toEqual([]);
  });

  it('when Redis floats on redis:7 (control), then the check rejects it', () => {
    expect(floatingServiceImages(ci.replace(/image: redis:\S+/, 'image: redis:7'))).toEqual([
      'redis:7',
    ]);
  });
});

describe('.github/renovate.json', () => {
  const renovate = JSON.parse(readText('.github/renovate.json')) as {
    extends: string[];
    enabledManagers: string[];
    customManagers: { matchStrings: string[] }[];
  };

  it('when updates are due, then npm, actions and images are kept current and images get digests', () => {
    expect(renovate.enabledManagers).toEqual(
      expect.arrayContaining(['npm', 'github-actions', 'dockerfile', 'docker-compose', 'nodenv']),
    );
    expect(renovate.extends).toEqual(
      expect.arrayContaining(['docker:pinDigests', 'helpers:pinGitHubActionDigestsToSemver']),
    );
  });

  it('when it reads a Copilot manifest, then its custom manager finds every sidecar image', () => {
    const pattern = new RegExp(renovate.customManagers[1]?.matchStrings[0] ?? '$^', 'g');
    for (const service of ['producer', 'consumer']) {
      const manifest = readText(`copilot/${service}/manifest.yml`);
      const images = [...manifest.matchAll(/^\s+image: (\S+)$/gm)].map(([, image]) => image);
      const found = [...manifest.matchAll(pattern)].map(
        (match) => `${match.groups?.depName}:${match.groups?.currentValue}`,
      );
      expect(found).toEqual(images);
    }
  });

  it("when it reads a Dockerfile, then its custom manager finds the base image's ARG", () => {
    const [pattern] = renovate.customManagers[0]?.matchStrings ?? [];
    const match = new RegExp(pattern ?? '$^').exec(readText('services/producer/Dockerfile'));
    expect(match?.groups).toMatchObject({ depName: 'node', currentValue: `${nodeVersion}-slim` });
  });
});
