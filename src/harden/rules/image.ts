// Image rules: CIS Docker Benchmark v1.6 section 4 checks decidable from an image's config
// (docker image inspect JSON): a non-root USER and a HEALTHCHECK.

import type { ImageFacts } from '../inputs/inspect.js';
import type { ImageRule } from './types.js';

const REF = 'https://www.cisecurity.org/benchmark/docker';

function isRoot(user: string | undefined): boolean {
  if (user === undefined || user.trim() === '') return true;
  const u = (user.split(':')[0] as string).trim();
  return u === '0' || u === 'root';
}

export const IMAGE_RULES: ImageRule[] = [
  {
    target: 'image',
    id: 'DDI001',
    title: 'A user for the container has been created',
    severity: 'MEDIUM',
    description:
      'An image without a non-root USER runs its containers as root unless every run overrides it.',
    resolution: 'Create a user in the Dockerfile (RUN useradd ...) and switch to it with USER.',
    compliance: ['CIS-DOCKER-1.6:4.1'],
    references: [REF],
    check: (img: ImageFacts) =>
      isRoot(img.user)
        ? [{ message: `image ${img.ref} runs as ${img.user ? img.user : 'root (no USER)'}` }]
        : [],
  },
  {
    target: 'image',
    id: 'DDI002',
    title: 'HEALTHCHECK instructions have been added to the container image',
    severity: 'LOW',
    description: 'Without a HEALTHCHECK the engine cannot tell a hung container from a working one.',
    resolution: 'Add a HEALTHCHECK instruction to the Dockerfile.',
    compliance: ['CIS-DOCKER-1.6:4.6'],
    references: [REF],
    check: (img: ImageFacts) =>
      img.healthcheck === true
        ? []
        : [
            {
              message: `image ${img.ref} ${img.healthcheck === false ? 'disables its health check (HEALTHCHECK NONE)' : 'has no HEALTHCHECK'}`,
            },
          ],
  },
];
