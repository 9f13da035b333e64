#!/usr/bin/env node
// Points a Copilot service manifest at an image already in ECR, by digest, instead of building
// one: rewrites the manifest's top-level `image.build` as `image.location: <image>`, in place.
// deploy-service.yml runs it on the job's own checkout, so `copilot svc deploy` ships the image
// ci.yml built and scanned (the one just pushed) and builds nothing; the manifest in git keeps
// `image.build` for deploys by hand.
//
//   node .github/scripts/copilot-image-location.mjs copilot/<service>/manifest.yml \
//     <registry>/<repository>@sha256:<64 hex digits>
//
// Only the lines of `image.build` change; everything else (comments, ${VAR}s Copilot
// interpolates, the other keys of `image:` such as `port`) stays byte for byte. It refuses,
// rather than deploy something else than the scanned image:
//   - an image given by tag, or anything but <registry>/<repository>@sha256:<digest>;
//   - a manifest without a top-level `image:` block holding `build`, or with `location` already;
//   - any other `build:` or `location:` key left in the manifest (an environment's `image`
//     override, a sidecar built from a Dockerfile), which Copilot would still build or prefer.
import { readFileSync, writeFileSync } from 'node:fs';

const IMAGE = /^[a-z0-9][a-z0-9.-]*(?::\d+)?\/[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$/;

const indentOf = (line) => line.length - line.trimStart().length;
const isBlank = (line) => line.trim() === '';
const isComment = (line) => line.trimStart().startsWith('#');

/** The manifest's text with `image.build` replaced by `image.location: image`. */
export function withImageLocation(manifest, image) {
  if (!IMAGE.test(image)) {
    throw new Error(`not an image by digest (<registry>/<repository>@sha256:<hex>): "${image}"`);
  }
  const lines = manifest.split('\n');
  const start = lines.findIndex((line) => /^image:\s*(#.*)?$/.test(line));
  if (start < 0) throw new Error('the manifest has no top-level `image:` block');
  // The block: the lines after `image:` that are indented, blank or comments (a comment never
  // ends a YAML block, wherever it starts; the next key does), without the blank lines and
  // comments that trail it.
  const inside = (line) => isBlank(line) || isComment(line) || indentOf(line) > 0;
  const trailing = (line) => isBlank(line) || isComment(line);
  let end = start + 1;
  while (end < lines.length && inside(lines[end])) end += 1;
  while (end > start + 1 && trailing(lines[end - 1])) end -= 1;
  const keys = lines
    .slice(start + 1, end)
    .map((line, offset) => ({ line, at: start + 1 + offset }))
    .filter(({ line }) => !isBlank(line) && !isComment(line));
  const indent = keys[0] ? indentOf(keys[0].line) : 0;
  const children = keys.filter(({ line }) => indentOf(line) === indent);
  if (children.some(({ line }) => /^\s*location:/.test(line))) {
    throw new Error('`image` already has a `location`');
  }
  const build = children.find(({ line }) => /^\s*build:/.test(line));
  if (!build) throw new Error('`image` has no `build` to replace');
  // `build` and what is nested in it (its map, or nothing when it is a string).
  let buildEnd = build.at + 1;
  while (
    buildEnd < end &&
    (trailing(lines[buildEnd]) || indentOf(lines[buildEnd]) > indent) &&
    !children.some(({ at }) => at === buildEnd)
  ) {
    buildEnd += 1;
  }
  // Comments and blank lines right before the next key of `image:` are that key's: they stay.
  while (buildEnd > build.at + 1 && trailing(lines[buildEnd - 1])) buildEnd -= 1;
  const location = `${' '.repeat(indent)}location: ${JSON.stringify(image)}`;
  const result = [...lines.slice(0, build.at), location, ...lines.slice(buildEnd)];
  const left = result.filter((line) => /^\s*(?:-\s+)?(build|location):/.test(line));
  if (left.length !== 1) {
    throw new Error(
      'the manifest has another `build` or `location` (an environment override or a sidecar ' +
        'image): this script models only the top-level image.build',
    );
  }
  return result.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, image] = process.argv.slice(2);
  if (!path || !image) {
    console.error(
      'usage: copilot-image-location.mjs <manifest.yml> <registry>/<repo>@sha256:<hex>',
    );
    process.exit(2);
  }
  try {
    writeFileSync(path, withImageLocation(readFileSync(path, 'utf8'), image));
  } catch (error) {
    console.error(`::error::${path}: ${error.message}`);
    process.exit(1);
  }
  console.log(`${path}: image.location ${image} (instead of image.build)`);
}
