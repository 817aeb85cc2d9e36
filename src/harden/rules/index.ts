// Every audit rule, in ID order, and lookups by ID.

import { CONTAINER_RULES } from './container.js';
import { DAEMON_RULES } from './daemon.js';
import { IMAGE_RULES } from './image.js';
import type { Rule } from './types.js';

export const ALL_RULES: readonly Rule[] = [...CONTAINER_RULES, ...IMAGE_RULES, ...DAEMON_RULES];

const BY_ID = new Map(ALL_RULES.map((r) => [r.id, r]));

export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id.toUpperCase());
}
