// Registry credentials: flags, environment, ~/.docker/config.json (auths and credential helpers).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debug } from '../../log.js';
import { DOCKER_HUB } from './reference.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface CredentialOptions {
  username?: string;
  password?: string;
  /** Path to a docker config.json (default $DOCKER_CONFIG/config.json or ~/.docker/config.json). */
  dockerConfig?: string;
}

/** "https://host:5000/v1/" -> "host:5000"; Docker Hub's legacy key -> "docker.io". */
export function normalizeConfigKey(key: string): string {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  k = k.split('/')[0] ?? k;
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return DOCKER_HUB;
  return k.toLowerCase();
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

function readDockerConfig(file: string): DockerConfig | undefined {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof json === 'object' && json !== null ? (json as DockerConfig) : undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') debug(`credentials: cannot read ${file}: ${(e as Error).message}`);
    return undefined;
  }
}

function fromHelper(helper: string, registry: string): Credentials | undefined {
  if (!/^[\w.-]+$/.test(helper)) return undefined;
  const server = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
  const r = spawnSync(`docker-credential-${helper}`, ['get'], {
    input: server,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0 || !r.stdout) {
    debug(`credentials: helper docker-credential-${helper} gave nothing for ${registry}`);
    return undefined;
  }
  try {
    const j = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (j.Username && j.Secret) return { username: j.Username, password: j.Secret };
  } catch {
    // a helper that prints garbage is the same as no credentials
  }
  return undefined;
}

/** Finds credentials for a registry: flags, then env, then the docker config. */
export function findCredentials(registry: string, opts: CredentialOptions): Credentials | undefined {
  if (opts.username !== undefined) return { username: opts.username, password: opts.password ?? '' };
  const envUser = process.env.DRYDOCK_USERNAME;
  if (envUser) return { username: envUser, password: process.env.DRYDOCK_PASSWORD ?? '' };
  const file =
    opts.dockerConfig ??
    path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json');
  const cfg = readDockerConfig(file);
  if (!cfg) return undefined;
  const want = normalizeConfigKey(registry);
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    if (normalizeConfigKey(key) !== want || typeof entry !== 'object' || entry === null) continue;
    if (typeof entry.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        debug(`credentials: using ${file} auths["${key}"]`);
        return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
      }
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  const helper = cfg.credHelpers?.[want] ?? cfg.credHelpers?.[registry] ?? cfg.credsStore;
  if (helper) return fromHelper(helper, registry);
  return undefined;
}
