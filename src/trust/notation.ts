// Notation (Notary Project) signature verification: JWS envelopes stored as OCI referrers of the
// signed manifest, checked against a Notation trust policy (version 1.0) and an X.509 trust store
// directory (`<dir>/x509/{ca,signingAuthority}/<name>/*.{pem,crt,cer}`).
//
// What is checked, in the order the trust-policy specification gives:
//   integrity     envelope shape, protected header (cty, signingScheme, crit), certificate chain
//                 structure and certificate requirements, `alg` = the signing key's algorithm,
//                 the signature, and the payload's targetArtifact = the manifest being pulled
//                 (digest, size, media type). Always enforced.
//   authenticity  the chain contains a certificate of a named store the policy lists, and the
//                 signing certificate's subject matches a trusted identity.
//   expiry        io.cncf.notary.expiry, when present, is after now.
//   timestamp     every certificate is valid now (drydock does not verify RFC 3161 countersignatures,
//                 so for notary.x509 "now" is the only time it can vouch for); for
//                 notary.x509.signingAuthority, at the authentic signing time.
//   revocation    drydock does no OCSP/CRL fetching: a certificate that names an OCSP responder or
//                 a CRL distribution point fails this check when it is enforced.
// Each check is enforced or only logged according to the policy's level and override, as in the
// specification's table. Envelopes: JWS JSON (application/jose+json) and COSE_Sign1
// (application/cose). RFC 3161 timestamp countersignatures are not verified (see above).

import {
  createHash,
  constants as cryptoConstants,
  verify as cryptoVerify,
  X509Certificate,
} from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, UserError } from '../errors.js';
import { parseConfigText, readConfigFile } from '../harden/doc.js';
import { MEDIA } from '../image/manifest.js';
import { RegistryClient, type RegistryOptions } from '../image/registry/client.js';
import { formatReference, type Reference } from '../image/registry/reference.js';
import { debug, warn } from '../log.js';
import { derOidDecode } from '../util/der.js';
import { digestOf, isDigest } from '../util/digest.js';
import { parseStrictJson } from './cjson.js';

export const NOTATION_SIGNATURE_TYPE = 'application/vnd.cncf.notary.signature';
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';

/** Signature envelopes larger than this are refused before download. */
export const MAX_ENVELOPE_BYTES = 2 * 1024 * 1024;
/** At most this many signature manifests are tried per artifact. */
export const MAX_SIGNATURES = 32;
const MAX_CHAIN = 10;
const MAX_TRUST_STORE_FILE = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Trust policy (Notation's own JSON document)

export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type Check = 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type Action = 'enforce' | 'log' | 'skip';

export interface NotationTrustPolicy {
  name: string;
  registryScopes: string[];
  signatureVerification: { level: VerificationLevel; override?: Partial<Record<Check, Action>> };
  trustStores: string[];
  trustedIdentities: string[];
}

export interface NotationPolicy {
  version: '1.0';
  trustPolicies: NotationTrustPolicy[];
}

/** Where a value sits in its file, for error messages ("policy.json:12"). */
export type Locate = (path: readonly (string | number)[]) => string;

const LEVEL_ACTIONS: Record<Exclude<VerificationLevel, 'skip'>, Record<Check, Action>> = {
  strict: {
    authenticity: 'enforce',
    authenticTimestamp: 'enforce',
    expiry: 'enforce',
    revocation: 'enforce',
  },
  permissive: { authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
};

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringList(v: unknown, at: string, what: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    throw new UserError(`${at}: ${what} must be a list of strings`);
  return v as string[];
}

/**
 * Validates a Notation trust policy document (already parsed JSON). `locate` turns a path inside
 * the document into "file:line"; errors are one line and name the policy and the field.
 */
export function parseNotationPolicy(doc: unknown, locate: Locate): NotationPolicy {
  if (!isObj(doc)) throw new UserError(`${locate([])}: a Notation trust policy must be a JSON object`);
  for (const k of Object.keys(doc)) {
    if (k !== 'version' && k !== 'trustPolicies')
      throw new UserError(`${locate([k])}: unknown field "${k}" in the Notation trust policy`);
  }
  if (doc.version !== '1.0')
    throw new UserError(
      `${locate(['version'])}: Notation trust policy version must be "1.0", not ${JSON.stringify(doc.version ?? null)}`,
    );
  const list = doc.trustPolicies;
  if (!Array.isArray(list) || list.length === 0)
    throw new UserError(`${locate(['trustPolicies'])}: trustPolicies must be a non-empty list`);
  const names = new Set<string>();
  const scopes = new Map<string, string>();
  let global: string | undefined;
  const out: NotationTrustPolicy[] = [];
  list.forEach((p, i) => {
    const here = (...rest: (string | number)[]) => locate(['trustPolicies', i, ...rest]);
    if (!isObj(p)) throw new UserError(`${here()}: each trust policy must be an object`);
    for (const k of Object.keys(p)) {
      if (
        !['name', 'registryScopes', 'signatureVerification', 'trustStores', 'trustedIdentities'].includes(k)
      )
        throw new UserError(`${here(k)}: unknown field "${k}" in a Notation trust policy`);
    }
    if (typeof p.name !== 'string' || !p.name.trim())
      throw new UserError(`${here('name')}: a trust policy needs a non-empty "name"`);
    const name = p.name;
    if (names.has(name)) throw new UserError(`${here('name')}: trust policy name "${name}" is used twice`);
    names.add(name);
    const rs = stringList(p.registryScopes, here('registryScopes'), `registryScopes of "${name}"`);
    if (rs.length === 0) throw new UserError(`${here('registryScopes')}: "${name}" has no registryScopes`);
    if (rs.includes('*')) {
      if (rs.length > 1)
        throw new UserError(
          `${here('registryScopes')}: "${name}": the global scope "*" must be the only scope`,
        );
      if (global)
        throw new UserError(
          `${here('registryScopes')}: "${name}" and "${global}" both use the global scope "*"`,
        );
      global = name;
    }
    for (const s of rs) {
      if (s === '*') continue;
      if (s.includes('*') || !/^[^/\s]+\/[^\s]+$/.test(s) || /[:@]/.test(s.slice(s.indexOf('/'))))
        throw new UserError(
          `${here('registryScopes')}: "${name}": registry scope "${s}" must be a fully qualified repository (registry/namespace/repository) or "*"`,
        );
      const prev = scopes.get(s);
      if (prev)
        throw new UserError(
          `${here('registryScopes')}: registry scope "${s}" is in both "${prev}" and "${name}"`,
        );
      scopes.set(s, name);
    }
    const sv = p.signatureVerification;
    if (!isObj(sv))
      throw new UserError(`${here('signatureVerification')}: "${name}" needs a signatureVerification object`);
    for (const k of Object.keys(sv)) {
      if (k !== 'level' && k !== 'override')
        throw new UserError(
          `${here('signatureVerification', k)}: unknown field "${k}" in signatureVerification`,
        );
    }
    const level = sv.level;
    if (level !== 'strict' && level !== 'permissive' && level !== 'audit' && level !== 'skip')
      throw new UserError(
        `${here('signatureVerification', 'level')}: "${name}": level must be strict, permissive, audit or skip`,
      );
    let override: Partial<Record<Check, Action>> | undefined;
    if (sv.override !== undefined) {
      if (level === 'skip')
        throw new UserError(
          `${here('signatureVerification', 'override')}: "${name}": level skip cannot be overridden`,
        );
      if (!isObj(sv.override))
        throw new UserError(`${here('signatureVerification', 'override')}: override must be an object`);
      override = {};
      for (const [k, v] of Object.entries(sv.override)) {
        const loc = here('signatureVerification', 'override', k);
        if (k === 'integrity') throw new UserError(`${loc}: "${name}": integrity cannot be overridden`);
        if (!['authenticity', 'authenticTimestamp', 'expiry', 'revocation'].includes(k))
          throw new UserError(`${loc}: "${name}": unknown override "${k}"`);
        const allowed = k === 'revocation' ? ['enforce', 'log', 'skip'] : ['enforce', 'log'];
        if (typeof v !== 'string' || !allowed.includes(v))
          throw new UserError(`${loc}: "${name}": override ${k} must be ${allowed.join(', ')}`);
        override[k as Check] = v as Action;
      }
    }
    const stores =
      p.trustStores === undefined ? [] : stringList(p.trustStores, here('trustStores'), 'trustStores');
    const ids =
      p.trustedIdentities === undefined
        ? []
        : stringList(p.trustedIdentities, here('trustedIdentities'), 'trustedIdentities');
    if (level === 'skip') {
      if (global === name)
        throw new UserError(
          `${here('registryScopes')}: "${name}": level skip cannot use the global scope "*"`,
        );
      if (stores.length > 0 || ids.length > 0)
        throw new UserError(`${here()}: "${name}": level skip takes no trustStores or trustedIdentities`);
    } else {
      if (stores.length === 0) throw new UserError(`${here('trustStores')}: "${name}" needs trustStores`);
      for (const s of stores) {
        const m = /^(ca|signingAuthority|tsa):([A-Za-z0-9_.-]+)$/.exec(s);
        if (!m || m[2] === '.' || m[2] === '..')
          throw new UserError(
            `${here('trustStores')}: "${name}": trust store "${s}" must be ca:<name>, signingAuthority:<name> or tsa:<name>`,
          );
      }
      if (!stores.some((s) => !s.startsWith('tsa:')))
        throw new UserError(`${here('trustStores')}: "${name}" needs a ca: or signingAuthority: trust store`);
      if (ids.length === 0)
        throw new UserError(`${here('trustedIdentities')}: "${name}" needs trustedIdentities`);
      if (ids.includes('*') && ids.length > 1)
        throw new UserError(`${here('trustedIdentities')}: "${name}": "*" must be the only trusted identity`);
      const dns: { id: string; dn: Map<string, string> }[] = [];
      for (const id of ids) {
        if (id === '*') continue;
        const m = /^x509\.subject:\s*(.*)$/s.exec(id);
        if (!m)
          throw new UserError(
            `${here('trustedIdentities')}: "${name}": trusted identity "${id}" must be "*" or "x509.subject: <DN>"`,
          );
        let dn: Map<string, string>;
        try {
          dn = parseDn(m[1] as string);
        } catch (e) {
          throw new UserError(`${here('trustedIdentities')}: "${name}": ${describe(e)}`);
        }
        for (const need of ['C', 'ST', 'O']) {
          if (!dn.has(need))
            throw new UserError(
              `${here('trustedIdentities')}: "${name}": trusted identity "${id}" must contain C, ST and O`,
            );
        }
        for (const other of dns) {
          if (dnSubset(other.dn, dn) || dnSubset(dn, other.dn))
            throw new UserError(
              `${here('trustedIdentities')}: "${name}": trusted identities "${other.id}" and "${id}" overlap`,
            );
        }
        dns.push({ id, dn });
      }
    }
    out.push({
      name,
      registryScopes: rs,
      signatureVerification: override ? { level, override } : { level },
      trustStores: stores,
      trustedIdentities: ids,
    });
  });
  return { version: '1.0', trustPolicies: out };
}

/** Parses a Notation trust policy file (JSON; YAML is read too), errors with file:line. */
export function parseNotationPolicyText(text: string, file: string): NotationPolicy {
  const docs = parseConfigText(text, file);
  const doc = docs[0];
  if (!doc || docs.length > 1) throw new UserError(`${file}: expected one JSON document`);
  return parseNotationPolicy(doc.value, (p) => `${file}:${doc.lineOf(p) ?? doc.line}`);
}

export function loadNotationPolicyFile(file: string): NotationPolicy {
  return parseNotationPolicyText(readConfigFile(file, 1024 * 1024), file);
}

/** The trust policy for a repository ("registry/namespace/repo"): an exact scope first, then "*". */
export function selectTrustPolicy(policy: NotationPolicy, repo: string): NotationTrustPolicy | undefined {
  return (
    policy.trustPolicies.find((p) => p.registryScopes.includes(repo)) ??
    policy.trustPolicies.find((p) => p.registryScopes.includes('*'))
  );
}

function actionsOf(p: NotationTrustPolicy): Record<Check, Action> {
  const level = p.signatureVerification.level;
  if (level === 'skip') throw new Error('actionsOf(skip)');
  return { ...LEVEL_ACTIONS[level], ...p.signatureVerification.override };
}

// ---------------------------------------------------------------------------------------------
// Distinguished names

const ATTR_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.17': 'POSTALCODE',
  '1.2.840.113549.1.9.1': 'E',
};
const ATTR_ALIASES: Record<string, string> = { EMAILADDRESS: 'E', S: 'ST' };

/**
 * Parses "C=US, ST=WA, O=example.com" (RFC 4514 style escapes: `\,` `\;` `\\` `\ ` `\+` `\"`
 * and `\XX` hex) into attribute → value. Repeated attributes are refused.
 */
export function parseDn(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      const next = text.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(next)) {
        cur += `\\${next}`;
        i += 2;
      } else if (i + 1 < text.length) {
        cur += `\\${text[i + 1]}`;
        i++;
      } else throw new UserError(`distinguished name "${text}" ends with a backslash`);
    } else if (c === ',' || c === ';') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  for (const raw of parts) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UserError(`"${raw.trim()}" in distinguished name "${text}" is not TYPE=value`);
    let type = raw.slice(0, eq).trim().toUpperCase();
    type = ATTR_ALIASES[type] ?? type;
    if (!/^[A-Z][A-Z0-9-]*$|^\d+(\.\d+)+$/.test(type))
      throw new UserError(`bad attribute type "${raw.slice(0, eq).trim()}" in distinguished name "${text}"`);
    // Unescaped leading/trailing spaces are insignificant; escaped ones are kept.
    let v = raw.slice(eq + 1).replace(/^ +/, '');
    v = v.replace(/(?<!\\) +$/, '');
    const value = v.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, e: string) =>
      e.length === 2 ? String.fromCharCode(Number.parseInt(e, 16)) : e,
    );
    if (!value) throw new UserError(`attribute ${type} in distinguished name "${text}" is empty`);
    if (out.has(type)) throw new UserError(`attribute ${type} appears twice in distinguished name "${text}"`);
    out.set(type, value);
  }
  return out;
}

/** True when every attribute of `a` is in `b` with the same value. */
function dnSubset(a: Map<string, string>, b: Map<string, string>): boolean {
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function escapeDnValue(v: string): string {
  return v.replace(/([\\,;+"<>])/g, '\\$1').replace(/^ | $/g, (s) => `\\${s}`);
}

// ---------------------------------------------------------------------------------------------
// A minimal DER reader for the parts of X.509 node:crypto does not expose: critical flags,
// keyUsage bits, basicConstraints, extendedKeyUsage, the subject's attributes, the signature
// algorithm and the validity times.

interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

function readTlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('truncated DER');
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error('unsupported DER tag');
  let len = buf[pos + 1] as number;
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[body + i] as number);
    body += n;
  }
  if (body + len > limit) throw new Error('DER value runs past its container');
  return { tag, start: pos, body, end: body + len };
}

function kids(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.body; p < t.end; ) {
    const k = readTlv(buf, p, t.end);
    out.push(k);
    p = k.end;
  }
  return out;
}

function oidOf(buf: Buffer, t: Tlv): string {
  if (t.tag !== 0x06 || t.end === t.body) throw new Error('expected an OID');
  return derOidDecode(buf.subarray(t.body, t.end));
}

function derTime(buf: Buffer, t: Tlv): Date {
  const s = buf.toString('latin1', t.body, t.end);
  let m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (m) {
    const yy = Number(m[1]);
    return new Date(
      Date.UTC(
        yy >= 50 ? 1900 + yy : 2000 + yy,
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
      ),
    );
  }
  m = t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (m) {
    return new Date(
      Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
    );
  }
  throw new Error(`bad certificate time "${s}"`);
}

function dnString(buf: Buffer, name: Tlv): { text: string; attrs: Map<string, string>; repeated?: string } {
  const attrs = new Map<string, string>();
  const parts: string[] = [];
  let repeated: string | undefined;
  for (const rdn of kids(buf, name)) {
    for (const atv of kids(buf, rdn)) {
      const [o, v] = kids(buf, atv);
      if (!o || !v) throw new Error('bad name attribute');
      const oid = oidOf(buf, o);
      const type = ATTR_NAMES[oid] ?? oid;
      // BMPString is UTF-16BE; the others are (a subset of) UTF-8 or Latin-1.
      const value =
        v.tag === 0x1e
          ? Buffer.from(buf.subarray(v.body, v.end)).swap16().toString('utf16le')
          : buf.toString(v.tag === 0x14 ? 'latin1' : 'utf8', v.body, v.end);
      if (attrs.has(type)) repeated = type;
      attrs.set(type, value);
      parts.push(`${type}=${escapeDnValue(value)}`);
    }
  }
  return { text: parts.join(', '), attrs, repeated };
}

const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  any: '2.5.29.37.0',
} as const;

export interface CertInfo {
  cert: X509Certificate;
  der: Buffer;
  fingerprint256: string;
  subject: string;
  subjectAttrs: Map<string, string>;
  repeatedAttr?: string;
  notBefore: Date;
  notAfter: Date;
  sigAlgOid: string;
  basicConstraints?: { critical: boolean; ca: boolean; pathLen?: number };
  keyUsage?: { critical: boolean; bits: Set<number> };
  extKeyUsage?: string[];
  /** Names an OCSP responder (authorityInfoAccess) or a CRL distribution point. */
  revocationInfo: boolean;
}

/** Parses one DER certificate; throws UserError naming `what`. */
export function certInfo(der: Buffer, what: string): CertInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new UserError(`${what} is not an X.509 certificate: ${describe(e)}`);
  }
  const raw = Buffer.from(cert.raw);
  try {
    const top = readTlv(raw, 0, raw.length);
    const [tbs, sigAlg] = kids(raw, top);
    if (!tbs || !sigAlg) throw new Error('not a certificate');
    const t = kids(raw, tbs);
    let i = t[0]?.tag === 0xa0 ? 1 : 0;
    i++; // serialNumber
    i++; // signature algorithm (inner)
    i++; // issuer
    const validity = t[i++];
    const subject = t[i++];
    i++; // subjectPublicKeyInfo
    if (!validity || !subject) throw new Error('truncated tbsCertificate');
    const [nb, na] = kids(raw, validity);
    if (!nb || !na) throw new Error('bad validity');
    const sigAlgOidTlv = kids(raw, sigAlg)[0];
    if (!sigAlgOidTlv) throw new Error('bad signature algorithm');
    const dn = dnString(raw, subject);
    const info: CertInfo = {
      cert,
      der: raw,
      fingerprint256: createHash('sha256').update(raw).digest('hex'),
      subject: dn.text,
      subjectAttrs: dn.attrs,
      notBefore: derTime(raw, nb),
      notAfter: derTime(raw, na),
      sigAlgOid: oidOf(raw, sigAlgOidTlv),
      revocationInfo: false,
    };
    if (dn.repeated) info.repeatedAttr = dn.repeated;
    const extsWrap = t.slice(i).find((x) => x.tag === 0xa3);
    if (extsWrap) {
      const seq = kids(raw, extsWrap)[0];
      if (!seq) throw new Error('empty extensions');
      for (const ext of kids(raw, seq)) {
        const parts = kids(raw, ext);
        const oidT = parts[0];
        if (!oidT) throw new Error('bad extension');
        const oid = oidOf(raw, oidT);
        let critical = false;
        let valT = parts[1];
        if (valT?.tag === 0x01) {
          critical = raw[valT.body] !== 0;
          valT = parts[2];
        }
        if (valT?.tag !== 0x04) throw new Error('bad extension value');
        const inner = readTlv(raw, valT.body, valT.end);
        if (oid === '2.5.29.19') {
          const f = kids(raw, inner);
          let ca = false;
          let pathLen: number | undefined;
          for (const x of f) {
            if (x.tag === 0x01) ca = raw[x.body] !== 0;
            else if (x.tag === 0x02) pathLen = raw.readUIntBE(x.body, Math.min(6, x.end - x.body));
          }
          info.basicConstraints = pathLen === undefined ? { critical, ca } : { critical, ca, pathLen };
        } else if (oid === '2.5.29.15') {
          if (inner.tag !== 0x03 || inner.end <= inner.body) throw new Error('bad keyUsage');
          const bits = new Set<number>();
          for (let b = inner.body + 1; b < inner.end; b++) {
            const byte = raw[b] as number;
            for (let k = 0; k < 8; k++) if (byte & (0x80 >> k)) bits.add((b - inner.body - 1) * 8 + k);
          }
          info.keyUsage = { critical, bits };
        } else if (oid === '2.5.29.37') {
          info.extKeyUsage = kids(raw, inner).map((x) => oidOf(raw, x));
        } else if (oid === '2.5.29.31' || oid === '1.3.6.1.5.5.7.1.1') {
          if (oid === '2.5.29.31') info.revocationInfo = true;
          else {
            // authorityInfoAccess: only an OCSP access method (1.3.6.1.5.5.7.48.1) matters here.
            for (const ad of kids(raw, inner)) {
              const m = kids(raw, ad)[0];
              if (m && oidOf(raw, m) === '1.3.6.1.5.5.7.48.1') info.revocationInfo = true;
            }
          }
        }
      }
    }
    return info;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${what}: malformed certificate (${describe(e)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Trust store

/** Reads the certificates of one named store, e.g. "ca:acme" → `<dir>/x509/ca/acme/*.{pem,crt,cer}`. */
export function loadTrustStore(dir: string, store: string): CertInfo[] {
  const m = /^(ca|signingAuthority|tsa):([A-Za-z0-9_.-]+)$/.exec(store);
  if (!m || m[2] === '.' || m[2] === '..') throw new UserError(`bad trust store name "${store}"`);
  const storeDir = path.join(dir, 'x509', m[1] as string, m[2] as string);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(storeDir);
  } catch {
    throw new UserError(`trust store ${store}: ${storeDir} does not exist`);
  }
  if (st.isSymbolicLink())
    throw new UserError(`trust store ${store}: ${storeDir} is a symlink (not allowed)`);
  if (!st.isDirectory()) throw new UserError(`trust store ${store}: ${storeDir} is not a directory`);
  const out: CertInfo[] = [];
  for (const name of readdirSync(storeDir).sort()) {
    const file = path.join(storeDir, name);
    const fst = lstatSync(file);
    if (fst.isDirectory()) {
      debug(`notation: ignoring sub-directory ${file} of trust store ${store}`);
      continue;
    }
    if (!/\.(pem|crt|cer)$/i.test(name)) continue;
    if (fst.isSymbolicLink()) throw new UserError(`trust store ${store}: ${file} is a symlink (not allowed)`);
    if (!fst.isFile()) continue;
    if (fst.size > MAX_TRUST_STORE_FILE) throw new UserError(`trust store ${store}: ${file} is too large`);
    const data = readFileSync(file);
    const text = data.toString('latin1');
    if (text.includes('-----BEGIN')) {
      const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
      let n = 0;
      for (let mm = re.exec(text); mm; mm = re.exec(text)) {
        out.push(
          certInfo(
            Buffer.from((mm[1] as string).replace(/\s+/g, ''), 'base64'),
            `${file} certificate ${++n}`,
          ),
        );
      }
      if (n === 0) throw new UserError(`trust store ${store}: ${file} holds no PEM certificate`);
    } else {
      out.push(certInfo(data, file));
    }
  }
  if (out.length === 0) throw new UserError(`trust store ${store}: no certificates in ${storeDir}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// JWS envelope

const JWS_ALGS: Record<string, { hash: string; kind: 'rsa' | 'ec'; size: number }> = {
  PS256: { hash: 'sha256', kind: 'rsa', size: 2048 },
  PS384: { hash: 'sha384', kind: 'rsa', size: 3072 },
  PS512: { hash: 'sha512', kind: 'rsa', size: 4096 },
  ES256: { hash: 'sha256', kind: 'ec', size: 256 },
  ES384: { hash: 'sha384', kind: 'ec', size: 384 },
  ES512: { hash: 'sha512', kind: 'ec', size: 521 },
};

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/** The JWS `alg` the signing certificate's key calls for (the key is the source of truth). */
export function algForKey(cert: X509Certificate): string {
  const key = cert.publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`RSA key of ${bits} bits is below the 2048-bit minimum`);
    return bits >= 4096 ? 'PS512' : bits >= 3072 ? 'PS384' : 'PS256';
  }
  if (key.asymmetricKeyType === 'ec') {
    const bits = CURVE_BITS[d.namedCurve ?? ''];
    if (bits === 256) return 'ES256';
    if (bits === 384) return 'ES384';
    if (bits === 521) return 'ES512';
    throw new Error(`EC curve ${d.namedCurve ?? '?'} is not supported (P-256, P-384, P-521)`);
  }
  throw new Error(`${key.asymmetricKeyType ?? 'unknown'} keys are not supported (RSA, ECDSA)`);
}

function b64url(s: unknown, what: string): Buffer {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1)
    throw new Error(`${what} is not base64url`);
  return Buffer.from(s, 'base64url');
}

function rfc3339(v: unknown, what: string): Date {
  if (
    typeof v !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) ||
    Number.isNaN(Date.parse(v))
  )
    throw new Error(`${what} is not an RFC 3339 time`);
  return new Date(v);
}

export interface TargetDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface EnvelopeVerifyOptions {
  policy: NotationTrustPolicy;
  /** The trust store directory. */
  trustStore: string;
  /** The manifest being verified. */
  target: TargetDescriptor;
  now?: Date;
  /** Called for checks the policy only logs. */
  log?: (msg: string) => void;
}

export interface EnvelopeResult {
  /** The signing certificate's subject DN. */
  subject: string;
  signingScheme: string;
  /** Failures of checks the policy only logs. */
  logged: string[];
}

class Failure extends Error {}

const KNOWN_PROTECTED = new Set([
  'alg',
  'cty',
  'crit',
  'io.cncf.notary.signingScheme',
  'io.cncf.notary.signingTime',
  'io.cncf.notary.authenticSigningTime',
  'io.cncf.notary.expiry',
  'io.cncf.notary.verificationPlugin',
  'io.cncf.notary.verificationPluginMinVersion',
]);
const KNOWN_UNPROTECTED = new Set([
  'x5c',
  'io.cncf.notary.signingAgent',
  'io.cncf.notary.timestampSignature',
]);

/** An envelope of either format, reduced to what verification needs. */
interface Decoded {
  format: 'JWS' | 'COSE';
  /** The JWS name of the algorithm (COSE's integer is mapped). */
  alg: string;
  /** Protected headers: JWS names; COSE labels 1/2/3 as alg/crit/cty, other integers as "#n". */
  headers: Map<string, unknown>;
  /** `crit`, with COSE integer labels as "#n" (undefined when absent or not a list of labels). */
  crit: string[] | undefined;
  time: (v: unknown, what: string) => Date;
  chain: Buffer[];
  /** The bytes the signature covers. */
  input: Buffer;
  signature: Buffer;
  payload: Buffer;
}

function decodeJws(envelope: Buffer): Decoded {
  const fail = (m: string): never => {
    throw new Failure(m);
  };
  const env = parseStrictJson(envelope, 'JWS signature envelope', MAX_ENVELOPE_BYTES);
  if (!isObj(env)) fail('JWS envelope is not a JSON object');
  const e = env as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (!['payload', 'protected', 'header', 'signature'].includes(k))
      fail(`JWS envelope has an unsupported field "${k}" (only the flattened JSON serialisation is allowed)`);
  }
  const protectedRaw = e.protected;
  const payloadRaw = e.payload;
  if (typeof protectedRaw !== 'string' || protectedRaw.length === 0)
    fail('JWS envelope has no protected header');
  if (typeof payloadRaw !== 'string' || payloadRaw.length === 0) fail('JWS envelope has no payload');
  const signature = b64url(e.signature, 'JWS signature');
  const hdr = parseStrictJson(
    b64url(protectedRaw, 'JWS protected header'),
    'JWS protected header',
    64 * 1024,
  );
  if (!isObj(hdr)) fail('JWS protected header is not a JSON object');
  const headers = new Map(Object.entries(hdr as Record<string, unknown>));
  if (!isObj(e.header)) fail('JWS envelope has no unprotected header (x5c is required)');
  const uh = e.header as Record<string, unknown>;
  for (const k of Object.keys(uh)) {
    if (!KNOWN_UNPROTECTED.has(k)) fail(`JWS unprotected header has an unsupported field "${k}"`);
    if (headers.has(k)) fail(`header "${k}" is both protected and unprotected`);
  }
  const x5c = uh.x5c;
  if (
    !Array.isArray(x5c) ||
    x5c.length === 0 ||
    x5c.length > MAX_CHAIN ||
    x5c.some((c) => typeof c !== 'string')
  )
    fail(`JWS x5c must be a list of 1 to ${MAX_CHAIN} base64 certificates`);
  const chain = (x5c as string[]).map((c, i) => {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(c)) fail(`x5c[${i}] is not base64`);
    return Buffer.from(c, 'base64');
  });
  const alg = headers.get('alg');
  if (typeof alg !== 'string' || !(alg in JWS_ALGS))
    fail(`JWS alg ${JSON.stringify(alg ?? null)} is not supported`);
  const crit = headers.get('crit');
  return {
    format: 'JWS',
    alg: alg as string,
    headers,
    crit: Array.isArray(crit) && crit.every((c) => typeof c === 'string') ? crit : undefined,
    time: rfc3339,
    chain,
    input: Buffer.from(`${protectedRaw}.${payloadRaw}`, 'ascii'),
    signature,
    payload: b64url(payloadRaw, 'JWS payload'),
  };
}

// A small CBOR reader (RFC 8949) for COSE_Sign1: definite lengths only, no floats, bounded.
type Cbor = number | string | Buffer | boolean | null | undefined | Cbor[] | CborMap | CborTag;
type CborMap = Map<number | string, Cbor>;
interface CborTag {
  tag: number;
  value: Cbor;
}

class CborReader {
  pos = 0;
  private items = 0;
  constructor(readonly buf: Buffer) {}
  private need(n: number): void {
    if (n > this.buf.length - this.pos) throw new Failure('COSE envelope: CBOR data is truncated');
  }
  private arg(info: number): number {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) throw new Failure('COSE envelope: indefinite or reserved CBOR lengths are not allowed');
    this.need(size);
    let v: number;
    if (size === 8) {
      const big = this.buf.readBigUInt64BE(this.pos);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Failure('COSE envelope: CBOR integer too large');
      v = Number(big);
    } else v = this.buf.readUIntBE(this.pos, size);
    this.pos += size;
    return v;
  }
  read(depth = 0): Cbor {
    if (depth > 16) throw new Failure('COSE envelope: CBOR nested too deeply');
    if (++this.items > 10_000) throw new Failure('COSE envelope: too many CBOR items');
    this.need(1);
    const ib = this.buf[this.pos++] as number;
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      if (info === 23) return undefined;
      throw new Failure('COSE envelope: CBOR floats and simple values are not expected');
    }
    const n = this.arg(info);
    switch (major) {
      case 0:
        return n;
      case 1:
        return -1 - n;
      case 2:
        this.need(n);
        this.pos += n;
        return Buffer.from(this.buf.subarray(this.pos - n, this.pos));
      case 3: {
        this.need(n);
        this.pos += n;
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(this.buf.subarray(this.pos - n, this.pos));
        } catch {
          throw new Failure('COSE envelope: CBOR text is not UTF-8');
        }
      }
      case 4: {
        this.need(n); // every item takes at least a byte
        const out: Cbor[] = [];
        for (let i = 0; i < n; i++) out.push(this.read(depth + 1));
        return out;
      }
      case 5: {
        this.need(n * 2);
        const m: CborMap = new Map();
        for (let i = 0; i < n; i++) {
          const k = this.read(depth + 1);
          if (typeof k !== 'number' && typeof k !== 'string')
            throw new Failure('COSE envelope: CBOR map keys must be integers or text');
          if (m.has(k)) throw new Failure(`COSE envelope: duplicate CBOR map key ${JSON.stringify(k)}`);
          m.set(k, this.read(depth + 1));
        }
        return m;
      }
      default:
        return { tag: n, value: this.read(depth + 1) };
    }
  }
}

function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

const COSE_ALGS: Record<number, string> = {
  [-37]: 'PS256',
  [-38]: 'PS384',
  [-39]: 'PS512',
  [-7]: 'ES256',
  [-35]: 'ES384',
  [-36]: 'ES512',
};
const COSE_LABELS: Record<number, string> = { 1: 'alg', 2: 'crit', 3: 'cty', 33: 'x5chain' };

function coseHeaders(m: CborMap): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of m) out.set(typeof k === 'number' ? (COSE_LABELS[k] ?? `#${k}`) : k, v);
  return out;
}

function decodeCose(envelope: Buffer): Decoded {
  const fail = (m: string): never => {
    throw new Failure(m);
  };
  if (envelope.length > MAX_ENVELOPE_BYTES) fail('COSE envelope is too large');
  const r = new CborReader(envelope);
  const top = r.read();
  if (r.pos !== envelope.length) fail('COSE envelope: data after the COSE_Sign1 object');
  const t = top as CborTag;
  if (!t || typeof t !== 'object' || !('tag' in t) || t.tag !== 18)
    fail('COSE envelope is not a COSE_Sign1_Tagged object (CBOR tag 18)');
  const arr = t.value;
  if (!Array.isArray(arr) || arr.length !== 4) fail('COSE_Sign1 must be an array of four items');
  const [prot, unprot, payload, signature] = arr as Cbor[];
  if (!Buffer.isBuffer(prot) || prot.length === 0) fail('COSE_Sign1 has no protected header');
  if (!(unprot instanceof Map)) fail('COSE_Sign1 unprotected header is not a map');
  if (!Buffer.isBuffer(payload)) fail('COSE_Sign1 payload must be attached (a byte string)');
  if (!Buffer.isBuffer(signature)) fail('COSE_Sign1 signature is not a byte string');
  const pm = new CborReader(prot as Buffer);
  const pmap = pm.read();
  if (!(pmap instanceof Map) || pm.pos !== (prot as Buffer).length)
    fail('COSE protected header is not a CBOR map');
  const headers = coseHeaders(pmap as CborMap);
  const uh = coseHeaders(unprot as CborMap);
  for (const k of uh.keys()) {
    if (k !== 'x5chain' && k !== 'io.cncf.notary.signingAgent' && k !== 'io.cncf.notary.timestampSignature')
      fail(`COSE unprotected header has an unsupported parameter ${k}`);
    if (headers.has(k)) fail(`COSE header ${k} is both protected and unprotected`);
  }
  const rawChain = headers.get('x5chain') ?? uh.get('x5chain');
  headers.delete('x5chain');
  const chain = Buffer.isBuffer(rawChain) ? [rawChain] : rawChain;
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((c) => Buffer.isBuffer(c)))
    fail('COSE x5chain (label 33) must hold the DER certificates');
  const algNum = headers.get('alg');
  const alg = typeof algNum === 'number' ? COSE_ALGS[algNum] : undefined;
  if (!alg) fail(`COSE alg ${JSON.stringify(algNum ?? null)} is not supported`);
  const crit = headers.get('crit');
  const critNames =
    Array.isArray(crit) && crit.every((c) => typeof c === 'string' || typeof c === 'number')
      ? crit.map((c) => (typeof c === 'number' ? (COSE_LABELS[c] ?? `#${c}`) : c))
      : undefined;
  const toBeSigned = Buffer.concat([
    cborHead(4, 4),
    cborHead(3, 10),
    Buffer.from('Signature1'),
    cborHead(2, (prot as Buffer).length),
    prot as Buffer,
    cborHead(2, 0),
    cborHead(2, (payload as Buffer).length),
    payload as Buffer,
  ]);
  return {
    format: 'COSE',
    alg: alg as string,
    headers,
    crit: critNames,
    time: (v, what) => {
      const tv = v as CborTag | undefined;
      if (!tv || typeof tv !== 'object' || !('tag' in tv) || tv.tag !== 1 || typeof tv.value !== 'number')
        throw new Failure(`${what} is not a CBOR epoch date/time (tag 1)`);
      return new Date(tv.value * 1000);
    },
    chain: chain as Buffer[],
    input: toBeSigned,
    signature: signature as Buffer,
    payload: payload as Buffer,
  };
}

/** The protected-header rules both formats share. */
function checkHeaders(d: Decoded): {
  scheme: string;
  signingTime?: Date;
  authenticTime?: Date;
  expiry?: Date;
} {
  const fail = (m: string): never => {
    throw new Failure(m);
  };
  const h = d.headers;
  const f = d.format;
  if (h.get('cty') !== NOTATION_PAYLOAD_TYPE)
    fail(`${f} content type ${JSON.stringify(h.get('cty') ?? null)} is not ${NOTATION_PAYLOAD_TYPE}`);
  const scheme = h.get('io.cncf.notary.signingScheme');
  if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority')
    fail(
      `signing scheme ${JSON.stringify(scheme ?? null)} is not notary.x509 or notary.x509.signingAuthority`,
    );
  const crit = d.crit;
  if (!crit || crit.length === 0) fail(`${f} protected header has no "crit" list`);
  const critSet = new Set(crit);
  if (critSet.size !== (crit as string[]).length) fail(`${f} "crit" lists a header twice`);
  if (!critSet.has('io.cncf.notary.signingScheme'))
    fail(`${f} "crit" does not list io.cncf.notary.signingScheme`);
  const registered =
    f === 'JWS'
      ? ['alg', 'cty', 'crit', 'x5c', 'kid', 'typ']
      : ['alg', 'crit', 'cty', '#0', '#4', '#5', '#6', '#7', '#8'];
  for (const c of critSet) {
    if (registered.includes(c)) fail(`${f} "crit" lists the registered header "${c}"`);
    if (!h.has(c)) fail(`${f} "crit" lists "${c}", which is not in the protected header`);
    if (c === 'io.cncf.notary.verificationPlugin' || c === 'io.cncf.notary.verificationPluginMinVersion')
      fail(
        `signature requires the Notation verification plugin ${JSON.stringify(h.get('io.cncf.notary.verificationPlugin') ?? null)}; drydock does not run plugins`,
      );
    if (!KNOWN_PROTECTED.has(c)) fail(`${f} "crit" lists "${c}", an unknown critical header`);
  }
  for (const k of ['io.cncf.notary.expiry', 'io.cncf.notary.authenticSigningTime']) {
    if (h.has(k) && !critSet.has(k)) fail(`protected header ${k} is not marked critical`);
  }
  const out: ReturnType<typeof checkHeaders> = { scheme: scheme as string };
  if (scheme === 'notary.x509') {
    out.signingTime = d.time(h.get('io.cncf.notary.signingTime'), 'io.cncf.notary.signingTime');
    if (h.has('io.cncf.notary.authenticSigningTime'))
      fail('io.cncf.notary.authenticSigningTime is only valid with the notary.x509.signingAuthority scheme');
  } else {
    if (h.has('io.cncf.notary.signingTime'))
      fail('io.cncf.notary.signingTime is only valid with the notary.x509 scheme');
    out.authenticTime = d.time(
      h.get('io.cncf.notary.authenticSigningTime'),
      'io.cncf.notary.authenticSigningTime',
    );
  }
  if (h.has('io.cncf.notary.expiry'))
    out.expiry = d.time(h.get('io.cncf.notary.expiry'), 'io.cncf.notary.expiry');
  return out;
}

/**
 * Verifies one signature envelope against a trust policy entry. Throws UserError with the reason
 * when an enforced check fails; returns the signer and the logged failures otherwise.
 */
export function verifyEnvelope(
  envelope: Buffer,
  mediaType: string,
  opts: EnvelopeVerifyOptions,
): EnvelopeResult {
  try {
    return verifyEnvelopeInner(envelope, mediaType, opts);
  } catch (e) {
    if (e instanceof Failure || e instanceof UserError) throw new UserError(e.message);
    throw new UserError(`signature envelope: ${describe(e)}`);
  }
}

function verifyEnvelopeInner(
  envelope: Buffer,
  mediaType: string,
  opts: EnvelopeVerifyOptions,
): EnvelopeResult {
  const policy = opts.policy;
  if (policy.signatureVerification.level === 'skip') throw new Failure('trust policy level is skip');
  const actions = actionsOf(policy);
  const now = opts.now ?? new Date();
  const logged: string[] = [];
  const check = (which: Check, ok: boolean, msg: () => string) => {
    if (ok || actions[which] === 'skip') return;
    const m = msg();
    if (actions[which] === 'enforce') throw new Failure(m);
    logged.push(m);
    opts.log?.(`${m} (${which} is only logged under trust policy "${policy.name}")`);
  };
  const integrity = (ok: boolean, msg: string) => {
    if (!ok) throw new Failure(msg);
  };

  // -- integrity: envelope, headers, certificate chain, signature
  let d: Decoded;
  if (mediaType === JWS_MEDIA_TYPE) d = decodeJws(envelope);
  else if (mediaType === COSE_MEDIA_TYPE) d = decodeCose(envelope);
  else throw new Failure(`unsupported signature envelope media type "${mediaType}"`);
  const { scheme, signingTime, authenticTime, expiry } = checkHeaders(d);
  integrity(
    d.chain.length > 0 && d.chain.length <= MAX_CHAIN,
    `${d.format} certificate chain must hold 1 to ${MAX_CHAIN} certificates`,
  );
  const chain = d.chain.map((c, i) => certInfo(c, `${d.format === 'JWS' ? 'x5c' : 'x5chain'}[${i}]`));
  checkChainStructure(chain);
  const leaf = chain[0] as CertInfo;
  let keyAlg: string;
  try {
    keyAlg = algForKey(leaf.cert);
  } catch (err) {
    throw new Failure(`signing certificate: ${describe(err)}`);
  }
  integrity(
    keyAlg === d.alg,
    `${d.format} alg ${d.alg} does not match the signing key, which calls for ${keyAlg}`,
  );
  const spec = JWS_ALGS[keyAlg] as (typeof JWS_ALGS)[string];
  const sig = d.signature;
  integrity(sig.length > 0, `${d.format} envelope has no signature`);
  let ok: boolean;
  if (spec.kind === 'rsa') {
    ok = cryptoVerify(
      spec.hash,
      d.input,
      {
        key: leaf.cert.publicKey,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: createHash(spec.hash).digest().length,
      },
      sig,
    );
  } else {
    const n = Math.ceil(spec.size / 8) * 2;
    integrity(sig.length === n, `ECDSA signature is ${sig.length} bytes, expected ${n}`);
    ok = cryptoVerify(spec.hash, d.input, { key: leaf.cert.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  }
  integrity(
    ok,
    `signature does not verify with the signing certificate (${leaf.subject}): the envelope was altered`,
  );

  // -- integrity: the payload names the artifact being pulled
  const payload = parseStrictJson(d.payload, 'signature payload', 1024 * 1024);
  integrity(isObj(payload) && isObj(payload.targetArtifact), 'signature payload has no targetArtifact');
  const pl = payload as Record<string, unknown>;
  for (const k of Object.keys(pl))
    integrity(k === 'targetArtifact', `signature payload has an unknown field "${k}"`);
  const ta = pl.targetArtifact as Record<string, unknown>;
  integrity(
    typeof ta.digest === 'string' &&
      isDigest(ta.digest) &&
      typeof ta.mediaType === 'string' &&
      Number.isSafeInteger(ta.size),
    'signature payload targetArtifact needs mediaType, digest and size',
  );
  integrity(
    ta.digest === opts.target.digest,
    `signature is for ${String(ta.digest)}, not for ${opts.target.digest}`,
  );
  integrity(
    ta.size === opts.target.size,
    `signature says the manifest is ${String(ta.size)} bytes; it is ${opts.target.size}`,
  );
  integrity(
    ta.mediaType === opts.target.mediaType,
    `signature says the manifest is ${String(ta.mediaType)}; it is ${opts.target.mediaType}`,
  );

  // -- authenticity: the chain reaches the trust store, the signer is a trusted identity
  const wantType = scheme === 'notary.x509' ? 'ca' : 'signingAuthority';
  const stores = policy.trustStores.filter((s) => s.startsWith(`${wantType}:`));
  let trusted = false;
  let storeErr: string | undefined;
  if (stores.length === 0) {
    storeErr = `trust policy "${policy.name}" lists no ${wantType}: trust store for the ${scheme} signing scheme`;
  }
  for (const s of stores) {
    const certs = loadTrustStore(opts.trustStore, s);
    const fps = new Set(certs.map((c) => c.fingerprint256));
    if (chain.some((c) => fps.has(c.fingerprint256))) {
      trusted = true;
      debug(`notation: chain of ${leaf.subject} reaches trust store ${s}`);
      break;
    }
  }
  check(
    'authenticity',
    trusted,
    () =>
      storeErr ??
      `signing certificate ${leaf.subject} does not chain to a certificate in trust store ${stores.join(', ')}`,
  );
  const ids = policy.trustedIdentities;
  if (!ids.includes('*')) {
    let matched = false;
    for (const id of ids) {
      const dn = parseDn(id.replace(/^x509\.subject:\s*/, ''));
      if (dnSubset(dn, leaf.subjectAttrs)) matched = true;
    }
    check('authenticity', matched && !leaf.repeatedAttr, () =>
      leaf.repeatedAttr
        ? `signing certificate subject repeats the attribute ${leaf.repeatedAttr}; it cannot match a trusted identity`
        : `signer ${leaf.subject} is not a trusted identity of trust policy "${policy.name}"`,
    );
  }

  // -- expiry
  check(
    'expiry',
    !expiry || now.getTime() < expiry.getTime(),
    () => `signature expired at ${expiry?.toISOString()}`,
  );

  // -- authentic timestamp: certificate validity
  const at = authenticTime ?? now;
  for (const [i, c] of chain.entries()) {
    check(
      'authenticTimestamp',
      at >= c.notBefore && at <= c.notAfter,
      () =>
        `certificate ${i === 0 ? 'of the signer' : `${i} of the chain`} (${c.subject}) is not valid at ${at.toISOString()} (valid ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()})`,
    );
  }
  if (signingTime && (signingTime < leaf.notBefore || signingTime > leaf.notAfter)) {
    debug(
      `notation: signing time ${signingTime.toISOString()} is outside the signing certificate's validity`,
    );
  }

  // -- revocation: no OCSP/CRL client here; certificates that ask for one cannot be cleared
  for (const c of chain) {
    check(
      'revocation',
      !c.revocationInfo,
      () =>
        `revocation status of ${c.subject} cannot be checked (drydock does not query OCSP or CRLs); use the override "revocation": "log" or "skip" to accept it`,
    );
  }
  return { subject: leaf.subject, signingScheme: scheme, logged };
}

const WEAK_SIG_ALGS = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.113549.1.1.4']);

/** The envelope's x5c: leaf first, each issued and signed by the next, ending in a self-signed root. */
function checkChainStructure(chain: CertInfo[]): void {
  const fail = (m: string): never => {
    throw new Failure(m);
  };
  const leaf = chain[0] as CertInfo;
  for (const [i, c] of chain.entries()) {
    if (WEAK_SIG_ALGS.has(c.sigAlgOid)) fail(`certificate ${i} (${c.subject}) is signed with SHA-1 or MD5`);
    const next = chain[i + 1];
    if (next) {
      if (!c.cert.checkIssued(next.cert) || !c.cert.verify(next.cert.publicKey))
        fail(
          `certificate ${i} (${c.subject}) is not issued by the next certificate in x5c (${next.subject})`,
        );
    } else if (!c.cert.checkIssued(c.cert) || !c.cert.verify(c.cert.publicKey)) {
      fail(`certificate chain does not end in a self-signed root (last: ${c.subject})`);
    }
  }
  const ca = (c: CertInfo, i: number, below: number) => {
    const bc = c.basicConstraints;
    if (!bc?.critical || !bc.ca)
      fail(`CA certificate ${i} (${c.subject}) needs a critical basicConstraints extension with cA true`);
    if (bc?.pathLen !== undefined && below > bc.pathLen)
      fail(`CA certificate ${i} (${c.subject}) allows ${bc.pathLen} intermediates below it, not ${below}`);
    if (!c.keyUsage?.critical || !c.keyUsage.bits.has(KU.keyCertSign))
      fail(`CA certificate ${i} (${c.subject}) needs a critical keyUsage with keyCertSign`);
  };
  for (let j = 1; j < chain.length; j++) ca(chain[j] as CertInfo, j, j - 1);
  if (leaf.basicConstraints?.ca) fail(`signing certificate (${leaf.subject}) is a CA certificate`);
  const ku = leaf.keyUsage;
  if (!ku?.critical || !ku.bits.has(KU.digitalSignature))
    fail(`signing certificate (${leaf.subject}) needs a critical keyUsage with digitalSignature`);
  for (const bad of [
    'keyEncipherment',
    'dataEncipherment',
    'keyAgreement',
    'keyCertSign',
    'cRLSign',
    'encipherOnly',
    'decipherOnly',
  ] as const) {
    if (ku?.bits.has(KU[bad]))
      fail(`signing certificate (${leaf.subject}) has keyUsage ${bad}, which is not allowed`);
  }
  for (const oid of leaf.extKeyUsage ?? []) {
    const name = Object.entries(EKU).find(([, v]) => v === oid)?.[0];
    if (name && name !== 'codeSigning')
      fail(
        `signing certificate (${leaf.subject}) has extendedKeyUsage ${name}, which is not allowed for code signing`,
      );
  }
  for (const [i, c] of chain.entries()) {
    const d = c.cert.publicKey.asymmetricKeyDetails ?? {};
    if (c.cert.publicKey.asymmetricKeyType === 'rsa' && (d.modulusLength ?? 0) < 2048)
      fail(`certificate ${i} (${c.subject}) has an RSA key below 2048 bits`);
  }
}

// ---------------------------------------------------------------------------------------------
// Registry: find the signatures of a manifest and verify them

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The part of RegistryClient this module needs (tests may pass a fake). */
export interface ReferrerSource {
  getManifest(reference: string): Promise<{ data: Buffer; mediaType: string | undefined; digest: string }>;
  getBlob(digest: string, maxBytes: number): Promise<Buffer>;
  /** The referrers API, or the referrers tag schema (`sha256-<hex>`) where the registry lacks it. */
  getReferrers(digest: string, artifactType?: string): Promise<Descriptor[]>;
}

export interface VerifyNotationOptions {
  /** Trust store directory (holding x509/ca/<name>/...). */
  trustStore: string;
  policy: NotationPolicy;
  registry?: RegistryOptions;
  now?: Date;
  /** Used instead of a RegistryClient for `ref` (tests). */
  client?: ReferrerSource;
}

/**
 * Verifies that the manifest `digest` of `ref`'s repository carries a Notation signature that
 * satisfies the applicable trust policy. Throws UserError with the reason(s) otherwise.
 */
export async function verifyNotation(
  ref: Reference,
  digest: string,
  opts: VerifyNotationOptions,
): Promise<{ subject: string; policy?: string; skipped?: boolean }> {
  const repo = `${ref.registry}/${ref.repository}`;
  const image = `${repo}@${digest}`;
  const tp = selectTrustPolicy(opts.policy, repo);
  if (!tp) throw new UserError(`notation: no Notation trust policy applies to ${repo}`);
  if (tp.signatureVerification.level === 'skip') {
    debug(`notation: trust policy "${tp.name}" skips verification of ${repo}`);
    return { subject: '', policy: tp.name, skipped: true };
  }
  const owned = opts.client ? undefined : new RegistryClient(ref, opts.registry);
  const client: ReferrerSource = opts.client ?? (owned as RegistryClient);
  try {
    const subject = await client.getManifest(digest);
    let mediaType = subject.mediaType?.split(';')[0]?.trim();
    try {
      const m = JSON.parse(subject.data.toString('utf8')) as { mediaType?: unknown };
      if (typeof m.mediaType === 'string') mediaType = m.mediaType;
    } catch {
      // the registry client validated the digest; the media type header is what we have
    }
    const target: TargetDescriptor = {
      mediaType: mediaType ?? MEDIA.ociManifest,
      digest,
      size: subject.data.length,
    };
    // Unfiltered: a referrers tag index written by older tools may lack artifactType.
    const refs = (await client.getReferrers(digest)).filter(
      (d) => d.artifactType === undefined || d.artifactType === NOTATION_SIGNATURE_TYPE,
    );
    const reasons: string[] = [];
    let seen = 0;
    for (const d of refs.slice(0, MAX_SIGNATURES)) {
      let sigManifest: Record<string, unknown>;
      try {
        const got = await client.getManifest(d.digest);
        const j = parseStrictJson(got.data, `signature manifest ${d.digest}`, 4 * 1024 * 1024);
        if (!isObj(j)) throw new UserError(`signature manifest ${d.digest} is not a JSON object`);
        sigManifest = j;
      } catch (e) {
        reasons.push(`${d.digest}: ${describe(e)}`);
        continue;
      }
      const config = isObj(sigManifest.config) ? sigManifest.config : {};
      const at = sigManifest.artifactType ?? config.mediaType;
      if (at !== NOTATION_SIGNATURE_TYPE) continue; // another kind of referrer (an SBOM, a cosign signature)
      seen++;
      const short = d.digest.slice(0, 19);
      try {
        const subj = sigManifest.subject;
        if (!isObj(subj) || subj.digest !== digest) throw new UserError(`its subject is not ${digest}`);
        const layers = sigManifest.layers;
        if (!Array.isArray(layers) || layers.length !== 1 || !isObj(layers[0]))
          throw new UserError('a signature manifest must have exactly one layer');
        const layer = layers[0] as Record<string, unknown>;
        const ldigest = layer.digest;
        const lsize = layer.size;
        const lmedia = layer.mediaType;
        if (
          typeof ldigest !== 'string' ||
          !isDigest(ldigest) ||
          typeof lmedia !== 'string' ||
          !Number.isSafeInteger(lsize)
        )
          throw new UserError('its layer descriptor is incomplete');
        if ((lsize as number) > MAX_ENVELOPE_BYTES)
          throw new UserError(`its envelope is ${String(lsize)} bytes, more than ${MAX_ENVELOPE_BYTES}`);
        const blob = await client.getBlob(ldigest, MAX_ENVELOPE_BYTES);
        if (digestOf(blob, ldigest.split(':')[0]) !== ldigest || blob.length !== lsize)
          throw new UserError(`envelope blob does not match its digest ${ldigest}`);
        const res = verifyEnvelope(blob, lmedia, {
          policy: tp,
          trustStore: opts.trustStore,
          target,
          now: opts.now,
          log: (m) => warn(`notation: ${image}: signature ${short}: ${m}`),
        });
        debug(
          `notation: ${image} verified: signature ${d.digest} by ${res.subject} (trust policy "${tp.name}")`,
        );
        return { subject: res.subject, policy: tp.name };
      } catch (e) {
        reasons.push(`signature ${short}: ${describe(e)}`);
      }
    }
    if (seen === 0 && reasons.length === 0) {
      if (tp.signatureVerification.level === 'audit') {
        warn(`notation: ${image} has no Notation signature (trust policy "${tp.name}" is audit: allowed)`);
        return { subject: '', policy: tp.name };
      }
      throw new UserError(`notation: ${formatReference(ref)} (${digest}) has no Notation signature`);
    }
    throw new UserError(
      `notation: no valid signature for ${formatReference(ref)} (${digest}) under trust policy "${tp.name}": ${reasons.join('; ')}`,
    );
  } finally {
    await owned?.close();
  }
}
