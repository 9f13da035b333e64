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
    customManagers: { matchStrings: string[]; autoReplaceStringTemplate?: string }[];
  };
  /**
   * What Renovate writes for an update of a regex manager's match: its autoReplaceStringTemplate
   * with the new values (the Handlebars this config uses: {{{name}}}, unescaped, and one {{#if}}). Without a
   * template Renovate can replace a digest already in the file but never add one.
   */
  const written = (index: number, values: Record<string, string>) => {
    const template = renovate.customManagers[index]?.autoReplaceStringTemplate;
    if (!template) return undefined;
    return template
      .replace(/\{\{#if (\w+)\}\}(.*?)\{\{\/if\}\}/g, (_, name: string, body: string) =>
        values[name] ? body : '',
      )
      .replace(/\{\{\{(\w+)\}\}\}/g, (_, name: string) => values[name] ?? '');
  };
  const DIGEST_PIN = `sha256:${'a'.repeat(64)}`;

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

  it('when Renovate pins a digest, then each custom manager writes the image with it, in a line it and the checks read back', () => {
    const collector = written(1, {
      depName: 'public.ecr.aws/aws-observability/aws-otel-collector',
      newValue: 'v0.49.0',
      newDigest: DIGEST_PIN,
    });
    expect(collector).toBe(
      `image: public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0@${DIGEST_PIN}`,
    );
    expect(
      new RegExp(renovate.customManagers[1]?.matchStrings[0] ?? '$^').exec(collector ?? '')?.groups,
    ).toMatchObject({ currentValue: 'v0.49.0', currentDigest: DIGEST_PIN });

    const base = written(0, {
      depName: 'node',
      newValue: `${nodeVersion}-slim`,
      newDigest: DIGEST_PIN,
    });
    expect(base).toBe(`ARG NODE_IMAGE=node:${nodeVersion}-slim@${DIGEST_PIN}`);
    expect(baseImageProblem(`${base}\n`, nodeVersion)).toBeUndefined();
    // A version bump without a digest writes none.
    expect(written(0, { depName: 'node', newValue: `${nodeVersion}-slim` })).toBe(
      `ARG NODE_IMAGE=node:${nodeVersion}-slim`,
    );
  });

  it('when a custom manager has no replacement template (control), then nothing would write a digest', () => {
    const saved = renovate.customManagers[1]?.autoReplaceStringTemplate;
    delete renovate.customManagers[1]?.autoReplaceStringTemplate;
    try {
      expect(written(1, { depName: 'x/y', newValue: '1', newDigest: DIGEST_PIN })).toBeUndefined();
    } finally {
      if (renovate.customManagers[1] && saved)
        renovate.customManagers[1].autoReplaceStringTemplate = saved;
    }
  });

  it("when it reads a Dockerfile, then its custom manager finds the base image's ARG", () => {
    const [pattern] = renovate.customManagers[0]?.matchStrings ?? [];
    const match = new RegExp(pattern ?? '$^').exec(readText('services/producer/Dockerfile'));
    expect(match?.groups).toMatchObject({ depName: 'node', currentValue: `${nodeVersion}-slim` });
  });
});
