// The built-in seccomp baselines a profile argument may name instead of a file: Docker's current
// default ("docker-default") and Docker 24.0.0's ("docker-default-v24.0.0").

import v24 from './data/docker-default-v24.0.0.json' with { type: 'json' };
import { type DockerSeccompProfile, dockerDefaultProfile, parseSeccompProfile } from './resolve.js';

export const BUILTIN_PROFILES = ['docker-default', 'docker-default-v24.0.0'] as const;
export type BuiltinProfile = (typeof BUILTIN_PROFILES)[number];

export function isBuiltinProfile(name: string): name is BuiltinProfile {
  return (BUILTIN_PROFILES as readonly string[]).includes(name);
}

export function builtinProfile(name: BuiltinProfile): DockerSeccompProfile {
  return name === 'docker-default' ? dockerDefaultProfile() : parseSeccompProfile(structuredClone(v24), name);
}
