// The image model every source produces: a config, ordered layers that can be opened as streams.

import type { Readable } from 'node:stream';

/** 'sbom': an inventory read from an SBOM document (`drydock sbom-scan`), no layer contents. */
export type SourceKind = 'docker-archive' | 'oci-archive' | 'oci' | 'registry' | 'rootfs' | 'sbom';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform & { 'os.version'?: string };
  urls?: string[];
  artifactType?: string;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The parts of the image config (OCI image-spec / Docker) that drydock reads. */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown>;
    Volumes?: Record<string, unknown>;
    Labels?: Record<string, string>;
    StopSignal?: string;
    Healthcheck?: unknown;
  };
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface Layer {
  index: number;
  /** Digest of the blob as the source stores it (compressed), when the source knows it. */
  digest: string | undefined;
  /** Digest of the uncompressed tar, from the config's rootfs.diff_ids. */
  diffID: string;
  /** Blob size, when known (verified while streaming). */
  size: number | undefined;
  mediaType: string | undefined;
  /** The history entry (created_by) that made this layer. */
  createdBy: string | undefined;
  /** Opens the raw blob; the engine verifies it as it streams. */
  open(): Promise<Readable>;
}

export interface Image {
  kind: SourceKind;
  /** What the user asked for, as reports name it. */
  name: string;
  manifestDigest: string | undefined;
  /** Digest of the config blob (the image ID). */
  configDigest: string | undefined;
  config: ImageConfigFile;
  layers: Layer[];
  repoTags: string[];
  repoDigests: string[];
  /** For a rootfs directory: the directory itself, walked instead of layers. */
  rootDir?: string;
  close(): Promise<void>;
}
