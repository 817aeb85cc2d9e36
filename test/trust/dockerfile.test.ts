// `trust check-dockerfile`: which images a Dockerfile pulls (ARG substitution, --platform, stages,
// scratch, digests, heredocs, continuations) and the DCT build rule over them.

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile ${VAR} syntax in plain strings

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { RegistryClient } from '../../src/image/registry/client.js';
import { parseReference, type Reference } from '../../src/image/registry/reference.js';
import { signCosign } from '../../src/trust/cosign.js';
import {
  checkDockerfile,
  expandArgs,
  parseBuildArgs,
  parseDockerfile,
  runCheckDockerfile,
} from '../../src/trust/dockerfile.js';
import { parseTrustPolicy } from '../../src/trust/policy.js';
import { REGISTRY, SKIP_REGISTRY, tmpdir } from '../helpers/env.js';

const D = `sha256:${'a'.repeat(64)}`;

function images(text: string, buildArgs?: Record<string, string>) {
  return parseDockerfile(text, 'Dockerfile', buildArgs ? { buildArgs } : {});
}

function userError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, re);
    return true;
  });
}

describe('Dockerfile parsing', () => {
  const MULTI = `# syntax=docker/dockerfile:1
ARG REGISTRY=127.0.0.1:15000
ARG BASE_TAG
ARG GO=\${REGISTRY}/dd/golang:1.22

FROM --platform=$BUILDPLATFORM \${GO} AS Builder
RUN <<EOF
echo building
FROM evil.example.com/not-an-instruction
EOF
COPY --from=127.0.0.1:15000/dd/tools:2 /bin/tool /bin/tool

from \${REGISTRY}/dd/debian:\${BASE_TAG:-12} as runtime
COPY --from=builder /out /app
COPY --from=0 /x /y
RUN --mount=type=cache,target=/root/.cache,from=127.0.0.1:15000/dd/cache:1 \\
    # a comment inside a continuation
    make install

FROM scratch AS final
COPY --from=runtime / /

FROM runtime
FROM alpine@${D}
FROM later
FROM debian:12 AS later
`;

  test('finds the images, skips scratch and earlier stages, substitutes ARGs', () => {
    const p = images(MULTI);
    assert.deepEqual(
      p.images.map((i) => [i.line, i.instruction, i.ref, i.stage ?? '', i.platform ?? '']),
      [
        [
          6,
          'FROM',
          '127.0.0.1:15000/dd/golang:1.22',
          'builder',
          `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
        ],
        [11, 'COPY --from', '127.0.0.1:15000/dd/tools:2', '', ''],
        [13, 'FROM', '127.0.0.1:15000/dd/debian:12', 'runtime', ''],
        [16, 'RUN --mount', '127.0.0.1:15000/dd/cache:1', '', ''],
        [24, 'FROM', `alpine@${D}`, '', ''],
        [25, 'FROM', 'later', '', ''],
        [26, 'FROM', 'debian:12', 'later', ''],
      ],
    );
    assert.deepEqual(
      p.skipped.map((s) => [s.line, s.why]),
      [
        [20, 'scratch'],
        [23, 'stage runtime'],
      ],
    );
    assert.deepEqual(p.stages, ['builder', 'runtime', 'final', undefined, undefined, undefined, 'later']);
  });

  test('--build-arg overrides ARG defaults and the platform ARGs', () => {
    const p = images(MULTI, {
      BASE_TAG: '11',
      REGISTRY: 'registry.example.com',
      BUILDPLATFORM: 'linux/arm64',
    });
    assert.equal(p.images[0]?.ref, 'registry.example.com/dd/golang:1.22');
    assert.equal(p.images[0]?.platform, 'linux/arm64');
    assert.equal(p.images[2]?.ref, 'registry.example.com/dd/debian:11');
  });

  test('--build-arg values: NAME=VALUE, or NAME from the environment', () => {
    assert.deepEqual(parseBuildArgs(['A=1', 'B==x', 'HOME2', 'UNSET'], { HOME2: '/h' }), {
      A: '1',
      B: '=x',
      HOME2: '/h',
    });
    userError(() => parseBuildArgs(['1A=x']), /--build-arg "1A=x": expected NAME=VALUE/);
  });

  test('substitution forms', () => {
    const v = { A: 'a', E: '' };
    assert.equal(
      expandArgs('$A/${A}/${E:-d}/${E-d}/${U-d}/${A:+y}/${E:+y}/${E+y}/${U+y}', v, 'x'),
      'a/a/d//d/y//y/',
    );
    assert.equal(expandArgs('\\$A ${U:-${A}b}', v, 'x'), '$A ab');
    userError(() => expandArgs('${U:?needs U}', v, 'Dockerfile:3'), /Dockerfile:3: U: needs U/);
    userError(() => expandArgs('${A', v, 'x'), /unterminated/);
  });

  test('escape directive, continuations, stage-scoped ARGs for COPY --from', () => {
    const p = images(
      '# escape=`\nARG IMG=127.0.0.1:15000/dd/a:1\nFROM `\n  ${IMG}\nARG IMG\nARG T=127.0.0.1:15000/dd/t:$IMG\nCOPY --from=${T} / /\n',
    );
    assert.deepEqual(
      p.images.map((i) => [i.line, i.ref]),
      [
        [3, '127.0.0.1:15000/dd/a:1'],
        [7, '127.0.0.1:15000/dd/t:127.0.0.1:15000/dd/a:1'],
      ],
    );
  });

  test('bad Dockerfiles are refused with file:line', () => {
    userError(() => images('RUN true\nFROM x\n'), /Dockerfile:1: RUN before the first FROM/);
    userError(() => images('FROM --pull=always x\n'), /Dockerfile:1: FROM does not take --pull/);
    userError(() => images('ARG X\nFROM $X\n'), /Dockerfile:2: FROM \$X expands to an empty image name/);
    userError(() => images('FROM a AS b c\n'), /FROM needs "image \[AS name\]"/);
    userError(() => images('FROM a AS x\nFROM b AS X\n'), /stage name "x" is used twice/);
    userError(() => images('FROM a AS 1x\n'), /invalid stage name/);
    userError(() => images('# just a comment\n'), /no FROM instruction/);
  });
});

describe('check-dockerfile with stand-in verifiers', () => {
  test('unsigned images are named with their lines; one registry lookup per image', async () => {
    const dir = tmpdir('dd-dockerfile-');
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(
      file,
      'FROM 127.0.0.1:15000/dd/good:1 AS a\nFROM scratch\nFROM 127.0.0.1:15000/dd/bad:1\nCOPY --from=127.0.0.1:15000/dd/bad:1 / /\nFROM a\n',
    );
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    writeFileSync(path.join(dir, 'k.pub'), pub);
    const policy = parseTrustPolicy(
      'default: require\ncosign: {publicKeys: [k.pub]}\n',
      path.join(dir, 'policy.yaml'),
    );
    const resolved: string[] = [];
    const cosignCalls: string[] = [];
    const opts = {
      resolveDigest: async (r: Reference) => {
        resolved.push(r.repository);
        return D;
      },
      verifiers: {
        cosign: async (r: Reference) => {
          cosignCalls.push(r.repository);
          if (r.repository.endsWith('good')) return { keyId: 'k' };
          throw new UserError('cosign: no cosign signature');
        },
      },
    };
    const lines: string[] = [];
    await assert.rejects(
      runCheckDockerfile(file, policy, { ...opts, out: (l) => lines.push(l) }),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.equal(e.exitCode, 2);
        assert.match(
          e.message,
          /Dockerfile: 2 images are not signed as the trust policy requires: line 3: FROM 127.0.0.1:15000\/dd\/bad:1 \(rule "default" .*cosign: no cosign signature\); line 4: COPY --from 127.0.0.1:15000\/dd\/bad:1/,
        );
        assert.doesNotMatch(e.message, /good|scratch/);
        return true;
      },
    );
    assert.deepEqual(resolved, ['dd/good', 'dd/bad']);
    assert.deepEqual(cosignCalls, ['dd/good', 'dd/bad']);
    assert.match(lines.join('\n'), /:2 {2}FROM scratch {2}skipped \(scratch\)/);
    assert.match(
      lines.join('\n'),
      /:1 {2}FROM 127.0.0.1:15000\/dd\/good:1@sha256:a+ {2}signed \(cosign: cosign key k; rule "default"\)/,
    );

    writeFileSync(file, 'FROM 127.0.0.1:15000/dd/good:1\nFROM scratch\n');
    const { results } = await checkDockerfile(file, policy, opts);
    assert.equal(results.length, 1);
    assert.equal(results[0]?.error, undefined);
  });
});

describe('check-dockerfile against the test registry (real cosign verifier)', { skip: SKIP_REGISTRY }, () => {
  test('a signed base passes, an unsigned one fails naming its line', async () => {
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const registry = { insecure: true, retries: 0 };
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = tmpdir('dd-dockerfile-reg-');
    writeFileSync(path.join(dir, 'k.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const policy = parseTrustPolicy(
      `default: allow\nrules:\n  - {name: dd, scope: "${REGISTRY.plain}/dd/**", require: cosign, cosign: {publicKeys: [k.pub]}}\n`,
      path.join(dir, 'policy.yaml'),
    );
    const push = async (name: string) => {
      const ref = parseReference(`${REGISTRY.plain}/dd/dockerfile-test/${run}/${name}:1.0`);
      const c = new RegistryClient(ref, registry);
      try {
        const config = Buffer.from(
          JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, name }),
        );
        const cd = await c.putBlob(config);
        const m = JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
          layers: [],
        });
        return {
          ref,
          digest: await c.putManifest('1.0', Buffer.from(m), 'application/vnd.oci.image.manifest.v1+json'),
        };
      } finally {
        await c.close();
      }
    };
    const base = await push('base');
    await signCosign(base.ref, base.digest, privateKey, { registry });
    await push('unsigned');
    const file = path.join(dir, 'Dockerfile');
    const prefix = `${REGISTRY.plain}/dd/dockerfile-test/${run}`;
    writeFileSync(
      file,
      `ARG P=${prefix}\nFROM $P/base:1.0 AS build\nFROM build\nFROM \${P}/unsigned:1.0\nFROM scratch\n`,
    );
    const lines: string[] = [];
    await assert.rejects(
      runCheckDockerfile(file, policy, { registry, out: (l) => lines.push(l) }),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(
          e.message,
          new RegExp(
            `an image is not signed as the trust policy requires: line 4: FROM ${prefix}/unsigned:1.0 \\(rule "dd" .*no cosign signature`,
          ),
        );
        return true;
      },
    );
    assert.match(
      lines[lines.length - 2] ?? '',
      new RegExp(`:2 {2}FROM ${prefix}/base:1.0@${base.digest} {2}signed \\(cosign`),
    );

    writeFileSync(
      file,
      `FROM ${prefix}/base:1.0\nFROM ${prefix}/base@${base.digest}\nFROM example.com/not-covered:1\n`,
    );
    const ok = await runCheckDockerfile(file, policy, {
      registry,
      out: () => {},
      // a stand-in registry lookup, so the image no rule covers needs no network
      resolveDigest: async () => base.digest,
    });
    assert.deepEqual(
      ok.map((r) => r.decision?.kind ?? r.decision?.detail),
      ['cosign', 'cosign', 'allowed by default: allow'],
    );
  });
});
