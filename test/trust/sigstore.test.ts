// Sigstore bundle verification: real public-good bundles (from sigstore's own test fixtures) against
// their trusted root, and a complete test PKI built here with openssl (CA, intermediate, Fulcio-style
// leaf certificates), a test log key signing SETs and checkpoints, and a Merkle tree computed here
// independently of the code under test.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { RegistryClient } from '../../src/image/registry/client.js';
import { parseReference } from '../../src/image/registry/reference.js';
import { verifyCosignBundle } from '../../src/trust/cosign.js';
import {
  merkleRootFromProof,
  parseBundle,
  parseTrustedRoot,
  verifyBundle,
  verifyDigestSignature,
  verifySigstoreBundle,
} from '../../src/trust/sigstore.js';
import { REGISTRY, SKIP_REGISTRY, tmpdir } from '../helpers/env.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.match((e as Error).message, re);
    assert.doesNotMatch((e as Error).message, /\n/);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Test vectors: Sigstore public-good bundles from sigstore's test fixtures (the artifact of the first
// is "hello, world!"; the second is a conformance-suite bundle whose canonicalized body was rebuilt
// from its certificate, signature and digest — its SET and inclusion proof prove it byte-exact), with
// the trusted root that signs them (Rekor key, Fulcio root and intermediate, the 2022 CT log key;
// base URLs replaced).

const PUBLIC_GOOD_ROOT: Json = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [
    {
      baseUrl: 'https://tlog.example.com',
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes:
          'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==',
        keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: {
          start: '2021-01-12T11:53:27.000Z',
        },
      },
      logId: {
        keyId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=',
      },
    },
  ],
  certificateAuthorities: [
    {
      subject: {
        organization: 'sigstore.dev',
        commonName: 'sigstore',
      },
      uri: 'https://ca.example.com',
      certChain: {
        certificates: [
          {
            rawBytes:
              'MIIB9zCCAXygAwIBAgIUALZNAPFdxHPwjeDloDwyYChAO/4wCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMTEwMDcxMzU2NTlaFw0zMTEwMDUxMzU2NThaMCoxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjERMA8GA1UEAxMIc2lnc3RvcmUwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAT7XeFT4rb3PQGwS4IajtLk3/OlnpgangaBclYpsYBr5i+4ynB07ceb3LP0OIOZdxexX69c5iVuyJRQ+Hz05yi+UF3uBWAlHpiS5sh0+H2GHE7SXrk1EC5m1Tr19L9gg92jYzBhMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRYwB5fkUWlZql6zJChkyLQKsXF+jAfBgNVHSMEGDAWgBRYwB5fkUWlZql6zJChkyLQKsXF+jAKBggqhkjOPQQDAwNpADBmAjEAj1nHeXZp+13NWBNa+EDsDP8G1WWg1tCMWP/WHPqpaVo0jhsweNFZgSs0eE7wYI4qAjEA2WB9ot98sIkoF3vZYdd3/VtWB5b9TNMea7Ix/stJ5TfcLLeABLE4BNJOsQ4vnBHJ',
          },
          {
            rawBytes:
              'MIICGjCCAaGgAwIBAgIUALnViVfnU0brJasmRkHrn/UnfaQwCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMjA0MTMyMDA2MTVaFw0zMTEwMDUxMzU2NThaMDcxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEeMBwGA1UEAxMVc2lnc3RvcmUtaW50ZXJtZWRpYXRlMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE8RVS/ysH+NOvuDZyPIZtilgUF9NlarYpAd9HP1vBBH1U5CV77LSS7s0ZiH4nE7Hv7ptS6LvvR/STk798LVgMzLlJ4HeIfF3tHSaexLcYpSASr1kS0N/RgBJz/9jWCiXno3sweTAOBgNVHQ8BAf8EBAMCAQYwEwYDVR0lBAwwCgYIKwYBBQUHAwMwEgYDVR0TAQH/BAgwBgEB/wIBADAdBgNVHQ4EFgQU39Ppz1YkEZb5qNjpKFWixi4YZD8wHwYDVR0jBBgwFoAUWMAeX5FFpWapesyQoZMi0CrFxfowCgYIKoZIzj0EAwMDZwAwZAIwPCsQK4DYiZYDPIaDi5HFKnfxXx6ASSVmERfsynYBiX2X6SJRnZU84/9DZdnFvvxmAjBOt6QpBlc4J/0DxvkTCqpclvziL6BCCPnjdlIB3Pu3BxsPmygUY7Ii2zbdCdliiow=',
          },
        ],
      },
      validFor: {
        start: '2022-04-13T20:06:15.000Z',
        end: '2031-10-05T13:56:58.000Z',
      },
    },
  ],
  ctlogs: [
    {
      baseUrl: 'https://ct.example.com/2022',
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes:
          'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8yyezPjTqhxrKBpMnaocVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw==',
        keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: { start: '2022-10-20T00:00:00Z' },
      },
      logId: { keyId: '3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=' },
    },
  ],
};

const V01_BUNDLE: Json = {
  mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  verificationMaterial: {
    x509CertificateChain: {
      certificates: [
        {
          rawBytes:
            'MIICoDCCAiagAwIBAgIUevae+nLQ8mg6OyOB43MKJ10F2CEwCgYIKoZIzj0EAwMwNzEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MR4wHAYDVQQDExVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwHhcNMjIxMTA5MDEzMzA5WhcNMjIxMTA5MDE0MzA5WjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9DbYBIMQLtWb6J5gtL69jgRwwEfdtQtKvvG4+o3ZzlOroJplpXaVgF6wBDob++rNG9/AzSaBmApkEwI52XBjWqOCAUUwggFBMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDAzAdBgNVHQ4EFgQUVIIFc08z6uV9Y96S+v5oDbbmHEYwHwYDVR0jBBgwFoAU39Ppz1YkEZb5qNjpKFWixi4YZD8wHwYDVR0RAQH/BBUwE4ERYnJpYW5AZGVoYW1lci5jb20wLAYKKwYBBAGDvzABAQQeaHR0cHM6Ly9naXRodWIuY29tL2xvZ2luL29hdXRoMIGKBgorBgEEAdZ5AgQCBHwEegB4AHYA3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4AAAGEWgUGQwAABAMARzBFAiEAlKycMBC2q+QM+mct60RNENxpURHes6vgOBWdx71XcXgCIAtnMzw/cBw5h0hrYJ8b1PJjoxn3k1N2TdgofqvMhbSTMAoGCCqGSM49BAMDA2gAMGUCMQC2KLFYSiD/+S1WEsyf9czf52w+E577Hi77r8pGUM1rQ/Bzg1aGvQs0/kAg3S/JSDgCMEdN5dIS0tRm1SOMbOFcW+1yzR+OiCVJ7DVFwUdI3D/7ERxtN9e/LJ6uaRnR/Sanrw==',
        },
      ],
    },
    tlogEntries: [
      {
        logIndex: '6757503',
        logId: {
          keyId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=',
        },
        kindVersion: {
          kind: 'hashedrekord',
          version: '0.0.1',
        },
        integratedTime: '1667957590',
        inclusionPromise: {
          signedEntryTimestamp:
            'MEUCIFUNcHgHB318gCNJR0/CH4E0daODbnfePyzKCDqrt3twAiEA9N+ZObaLwVJwvOtPgkfoBa5NzjTH0eC06YBlOyZlMiY=',
        },
        canonicalizedBody:
          'eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6eyJkYXRhIjp7Imhhc2giOnsiYWxnb3JpdGhtIjoic2hhMjU2IiwidmFsdWUiOiI2OGU2NTZiMjUxZTY3ZTgzNThiZWY4NDgzYWIwZDUxYzY2MTlmM2U3YTFhOWYwZTc1ODM4ZDQxZmYzNjhmNzI4In19LCJzaWduYXR1cmUiOnsiY29udGVudCI6Ik1FUUNJSHM1YVV1bHExSHBSK2Z3bVNLcExrL29Bd3E1TzlDRE5GSGhaQUtmRzVHbUFpQndjVm5mMm9ienNDR1ZsZjBBSXZidkhyMjFOWHQ3dHBMQmw0K0JyaDZPS0E9PSIsInB1YmxpY0tleSI6eyJjb250ZW50IjoiTFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2sxSlNVTnZSRU5EUVdsaFowRjNTVUpCWjBsVlpYWmhaU3R1VEZFNGJXYzJUM2xQUWpRelRVdEtNVEJHTWtORmQwTm5XVWxMYjFwSmVtb3dSVUYzVFhjS1RucEZWazFDVFVkQk1WVkZRMmhOVFdNeWJHNWpNMUoyWTIxVmRWcEhWakpOVWpSM1NFRlpSRlpSVVVSRmVGWjZZVmRrZW1SSE9YbGFVekZ3WW01U2JBcGpiVEZzV2tkc2FHUkhWWGRJYUdOT1RXcEplRTFVUVRWTlJFVjZUWHBCTlZkb1kwNU5ha2w0VFZSQk5VMUVSVEJOZWtFMVYycEJRVTFHYTNkRmQxbElDa3R2V2tsNmFqQkRRVkZaU1V0dldrbDZhakJFUVZGalJGRm5RVVU1UkdKWlFrbE5VVXgwVjJJMlNqVm5kRXcyT1dwblVuZDNSV1prZEZGMFMzWjJSelFLSzI4elducHNUM0p2U25Cc2NGaGhWbWRHTm5kQ1JHOWlLeXR5VGtjNUwwRjZVMkZDYlVGd2EwVjNTVFV5V0VKcVYzRlBRMEZWVlhkblowWkNUVUUwUndwQk1WVmtSSGRGUWk5M1VVVkJkMGxJWjBSQlZFSm5UbFpJVTFWRlJFUkJTMEpuWjNKQ1owVkdRbEZqUkVGNlFXUkNaMDVXU0ZFMFJVWm5VVlZXU1VsR0NtTXdPSG8yZFZZNVdUazJVeXQyTlc5RVltSnRTRVZaZDBoM1dVUldVakJxUWtKbmQwWnZRVlV6T1ZCd2VqRlphMFZhWWpWeFRtcHdTMFpYYVhocE5Ga0tXa1E0ZDBoM1dVUldVakJTUVZGSUwwSkNWWGRGTkVWU1dXNUtjRmxYTlVGYVIxWnZXVmN4YkdOcE5XcGlNakIzVEVGWlMwdDNXVUpDUVVkRWRucEJRZ3BCVVZGbFlVaFNNR05JVFRaTWVUbHVZVmhTYjJSWFNYVlpNamwwVERKNGRsb3liSFZNTWpsb1pGaFNiMDFKUjB0Q1oyOXlRbWRGUlVGa1dqVkJaMUZEQ2tKSWQwVmxaMEkwUVVoWlFUTlVNSGRoYzJKSVJWUktha2RTTkdOdFYyTXpRWEZLUzFoeWFtVlFTek12YURSd2VXZERPSEEzYnpSQlFVRkhSVmRuVlVjS1VYZEJRVUpCVFVGU2VrSkdRV2xGUVd4TGVXTk5Ra015Y1N0UlRTdHRZM1EyTUZKT1JVNTRjRlZTU0dWek5uWm5UMEpYWkhnM01WaGpXR2REU1VGMGJncE5lbmN2WTBKM05XZ3dhSEpaU2poaU1WQkthbTk0YmpOck1VNHlWR1JuYjJaeGRrMW9ZbE5VVFVGdlIwTkRjVWRUVFRRNVFrRk5SRUV5WjBGTlIxVkRDazFSUXpKTFRFWlpVMmxFTHl0VE1WZEZjM2xtT1dONlpqVXlkeXRGTlRjM1NHazNOM0k0Y0VkVlRURnlVUzlDZW1jeFlVZDJVWE13TDJ0Qlp6TlRMMG9LVTBSblEwMUZaRTQxWkVsVE1IUlNiVEZUVDAxaVQwWmpWeXN4ZVhwU0swOXBRMVpLTjBSV1JuZFZaRWt6UkM4M1JWSjRkRTQ1WlM5TVNqWjFZVkp1VWdvdlUyRnVjbmM5UFFvdExTMHRMVVZPUkNCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PSJ9fX19',
      },
    ],
  },
  messageSignature: {
    messageDigest: {
      algorithm: 'SHA2_256',
      digest: 'aOZWslHmfoNYvvhIOrDVHGYZ8+ehqfDnWDjUH/No9yg=',
    },
    signature:
      'MEQCIHs5aUulq1HpR+fwmSKpLk/oAwq5O9CDNFHhZAKfG5GmAiBwcVnf2obzsCGVlf0AIvbvHr21NXt7tpLBl4+Brh6OKA==',
  },
};

const V03_DIGEST = 'sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf';

const V03_BUNDLE: Json = {
  mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.3',
  verificationMaterial: {
    certificate: {
      rawBytes:
        'MIIIMTCCB7egAwIBAgIUaL/tsmQTHk21mt1Uuk+w7avDBz4wCgYIKoZIzj0EAwMwNzEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MR4wHAYDVQQDExVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwHhcNMjQwMzE5MTcyNjI2WhcNMjQwMzE5MTczNjI2WjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE22S1j/NkEXzBPQAuamHXLpwx+RPnnzZQl/pkEZ8xorvKnzujCS1mVTBo9kBxmYWo2DHtyVyfgnuOqVTzLYmho6OCBtYwggbSMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDAzAdBgNVHQ4EFgQUFv1SCziEKN2rRyrjeVlFbSLg1/QwHwYDVR0jBBgwFoAU39Ppz1YkEZb5qNjpKFWixi4YZD8wgaUGA1UdEQEB/wSBmjCBl4aBlGh0dHBzOi8vZ2l0aHViLmNvbS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbi8uZ2l0aHViL3dvcmtmbG93cy9leHRyZW1lbHktZGFuZ2Vyb3VzLW9pZGMtYmVhY29uLnltbEByZWZzL2hlYWRzL21haW4wOQYKKwYBBAGDvzABAQQraHR0cHM6Ly90b2tlbi5hY3Rpb25zLmdpdGh1YnVzZXJjb250ZW50LmNvbTAfBgorBgEEAYO/MAECBBF3b3JrZmxvd19kaXNwYXRjaDA2BgorBgEEAYO/MAEDBChjN2IzZGZiMzM1ZjA1MWUxYzg2YmRhNGM3MTZmYWM5N2RmNjJhZDgxMC0GCisGAQQBg78wAQQEH0V4dHJlbWVseSBkYW5nZXJvdXMgT0lEQyBiZWFjb24wSQYKKwYBBAGDvzABBQQ7c2lnc3RvcmUtY29uZm9ybWFuY2UvZXh0cmVtZWx5LWRhbmdlcm91cy1wdWJsaWMtb2lkYy1iZWFjb24wHQYKKwYBBAGDvzABBgQPcmVmcy9oZWFkcy9tYWluMDsGCisGAQQBg78wAQgELQwraHR0cHM6Ly90b2tlbi5hY3Rpb25zLmdpdGh1YnVzZXJjb250ZW50LmNvbTCBpgYKKwYBBAGDvzABCQSBlwyBlGh0dHBzOi8vZ2l0aHViLmNvbS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbi8uZ2l0aHViL3dvcmtmbG93cy9leHRyZW1lbHktZGFuZ2Vyb3VzLW9pZGMtYmVhY29uLnltbEByZWZzL2hlYWRzL21haW4wOAYKKwYBBAGDvzABCgQqDChjN2IzZGZiMzM1ZjA1MWUxYzg2YmRhNGM3MTZmYWM5N2RmNjJhZDgxMB0GCisGAQQBg78wAQsEDwwNZ2l0aHViLWhvc3RlZDBeBgorBgEEAYO/MAEMBFAMTmh0dHBzOi8vZ2l0aHViLmNvbS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbjA4BgorBgEEAYO/MAENBCoMKGM3YjNkZmIzMzVmMDUxZTFjODZiZGE0YzcxNmZhYzk3ZGY2MmFkODEwHwYKKwYBBAGDvzABDgQRDA9yZWZzL2hlYWRzL21haW4wGQYKKwYBBAGDvzABDwQLDAk2MzI1OTY4OTcwNwYKKwYBBAGDvzABEAQpDCdodHRwczovL2dpdGh1Yi5jb20vc2lnc3RvcmUtY29uZm9ybWFuY2UwGQYKKwYBBAGDvzABEQQLDAkxMzE4MDQ1NjMwgaYGCisGAQQBg78wARIEgZcMgZRodHRwczovL2dpdGh1Yi5jb20vc2lnc3RvcmUtY29uZm9ybWFuY2UvZXh0cmVtZWx5LWRhbmdlcm91cy1wdWJsaWMtb2lkYy1iZWFjb24vLmdpdGh1Yi93b3JrZmxvd3MvZXh0cmVtZWx5LWRhbmdlcm91cy1vaWRjLWJlYWNvbi55bWxAcmVmcy9oZWFkcy9tYWluMDgGCisGAQQBg78wARMEKgwoYzdiM2RmYjMzNWYwNTFlMWM4NmJkYTRjNzE2ZmFjOTdkZjYyYWQ4MTAhBgorBgEEAYO/MAEUBBMMEXdvcmtmbG93X2Rpc3BhdGNoMIGBBgorBgEEAYO/MAEVBHMMcWh0dHBzOi8vZ2l0aHViLmNvbS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbi9hY3Rpb25zL3J1bnMvODM0NzQ4MTYyOC9hdHRlbXB0cy8xMBYGCisGAQQBg78wARYECAwGcHVibGljMIGKBgorBgEEAdZ5AgQCBHwEegB4AHYA3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4AAAGOV8AHpgAABAMARzBFAiBFeMbpFarlPwb0naTr4mjWDvXApOd9ORqOk36Brt9SmwIhAJJvjor+DXUXr7S3Vm9jVFT3CL0BxcKGj86m5mYzQvubMAoGCCqGSM49BAMDA2gAMGUCMA8lTixdS4iN9mAUduObcSJmhZLyvK7zaX05DLEDCgPWxDHk+JBZUKYRIuHHgwFnOwIxALMamo9dfENMzRgNCzYfp/y+rSOhVjXXE9mCn6BuJETlpRDfGvxUg/5LF9f4lYqozA==',
    },
    tlogEntries: [
      {
        logIndex: '79571823',
        logId: {
          keyId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=',
        },
        kindVersion: {
          kind: 'hashedrekord',
          version: '0.0.1',
        },
        integratedTime: '1710869186',
        inclusionPromise: {
          signedEntryTimestamp:
            'MEYCIQDMNM49CNrcrpuvB9G3likdSse0miAkY0ILCqzRGP5ZJQIhAKnSS9GUSFVCar1+Sq3qoRtJIJ8x9tqRnQ8kuS1ojtTH',
        },
        inclusionProof: {
          logIndex: '75408392',
          rootHash: 'Fnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=',
          treeSize: '75408393',
          hashes: [
            '1J7hRIEGvYdAyzEs+GhAE9L+38oHye3BhalgoQRZoo4=',
            'W/OUCkh/lqDDwbBkZgP7eTV/wx4WifD1wtfRLbavfxI=',
            '9wya2BEhfLGDfDRVN46OU2RXkozWCM1Z4qMu6SPiWoY=',
            'ZRs3lKAIlu0t0GtLupAcOu1y20nOaOshSKosWAqFO+w=',
            'BGqH+LzVuhuqCLiUvBJaB2hlsvtu2a15qq1WGw6mG44=',
            'OeS7D4kPES7ChE7kWSEmhbAMqBcKVj/z8/afMK4Y3pI=',
            'JtjqvAqFyXXYjWlZfDzElHpEzdBjsz1LmGFJuYx0kTU=',
            's/ZIVcfcD4/nuZwUtQf4ydGsIAkGTPTzk3b0zhUC95k=',
            'YU1jZY/fp5tJdGF/i+/7ez8107O4/lOUp7acMPFEaOA=',
            '7Z18YLBAvejEV4nJHIKoks/xlijnhR005qTW2w4QtHg=',
            '98enzMaC+x5oCMvIZQA5z8vu2apDMCFvE/935NfuPw8=',
          ],
          checkpoint: {
            envelope:
              'rekor.sigstore.dev - 2605736670972794746\n75408393\nFnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=\n\n\u2014 rekor.sigstore.dev wNI9ajBFAiBTyiBM9WtyOTgohje6QZ5rFGJUdMq7Wk3A6oThE98SUgIhAMvxDwa7FyqRqg+YV3rdPPrfS23w19iK+piMSGVOmP5w\n',
          },
        },
        canonicalizedBody:
          'eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6eyJkYXRhIjp7Imhhc2giOnsiYWxnb3JpdGhtIjoic2hhMjU2IiwidmFsdWUiOiJhMGNmYzcxMjcxZDZlMjc4ZTU3Y2QzMzJmZjk1N2MzZjcwNDNmZGRhMzU0YzRjYmIxOTBhMzBkNTZlZmEwMWJmIn19LCJzaWduYXR1cmUiOnsiY29udGVudCI6Ik1FVUNJQ1lGcS80YlRFZGx1cmdxVnVObXdDY0lXdTNOS09DZ3ZlV0FKQmllekowdUFpRUEyaTdVMTgrYVJwRnhMWWtzcjVIS0JRUXkwOHpFMDUwV0ljMFJ6S3VuRElBPSIsInB1YmxpY0tleSI6eyJjb250ZW50IjoiTFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2sxSlNVbE5WRU5EUWpkbFowRjNTVUpCWjBsVllVd3ZkSE50VVZSSWF6SXhiWFF4VlhWckszYzNZWFpFUW5vMGQwTm5XVWxMYjFwSmVtb3dSVUYzVFhjS1RucEZWazFDVFVkQk1WVkZRMmhOVFdNeWJHNWpNMUoyWTIxVmRWcEhWakpOVWpSM1NFRlpSRlpSVVVSRmVGWjZZVmRrZW1SSE9YbGFVekZ3WW01U2JBcGpiVEZzV2tkc2FHUkhWWGRJYUdOT1RXcFJkMDE2UlRWTlZHTjVUbXBKTWxkb1kwNU5hbEYzVFhwRk5VMVVZM3BPYWtreVYycEJRVTFHYTNkRmQxbElDa3R2V2tsNmFqQkRRVkZaU1V0dldrbDZhakJFUVZGalJGRm5RVVV5TWxNeGFpOU9hMFZZZWtKUVVVRjFZVzFJV0V4d2QzZ3JVbEJ1Ym5wYVVXd3ZjR3NLUlZvNGVHOXlka3R1ZW5WcVExTXhiVlpVUW04NWEwSjRiVmxYYnpKRVNIUjVWbmxtWjI1MVQzRldWSHBNV1cxb2J6WlBRMEowV1hkbloySlRUVUUwUndwQk1WVmtSSGRGUWk5M1VVVkJkMGxJWjBSQlZFSm5UbFpJVTFWRlJFUkJTMEpuWjNKQ1owVkdRbEZqUkVGNlFXUkNaMDVXU0ZFMFJVWm5VVlZHZGpGVENrTjZhVVZMVGpKeVVubHlhbVZXYkVaaVUweG5NUzlSZDBoM1dVUldVakJxUWtKbmQwWnZRVlV6T1ZCd2VqRlphMFZhWWpWeFRtcHdTMFpYYVhocE5Ga0tXa1E0ZDJkaFZVZEJNVlZrUlZGRlFpOTNVMEp0YWtOQ2JEUmhRbXhIYURCa1NFSjZUMms0ZGxveWJEQmhTRlpwVEcxT2RtSlRPWHBoVjJSNlpFYzVlUXBhVXpGcVlqSTFiV0l6U25SWlZ6VnFXbE01YkdWSVVubGFWekZzWWtocmRGcEhSblZhTWxaNVlqTldla3hZUWpGWmJYaHdXWGt4ZG1GWFVtcE1WMHBzQ2xsWFRuWmlhVGgxV2pKc01HRklWbWxNTTJSMlkyMTBiV0pIT1ROamVUbHNaVWhTZVZwWE1XeGlTR3QwV2tkR2RWb3lWbmxpTTFaNlRGYzVjRnBIVFhRS1dXMVdhRmt5T1hWTWJteDBZa1ZDZVZwWFducE1NbWhzV1ZkU2Vrd3lNV2hoVnpSM1QxRlpTMHQzV1VKQ1FVZEVkbnBCUWtGUlVYSmhTRkl3WTBoTk5ncE1lVGt3WWpKMGJHSnBOV2haTTFKd1lqSTFla3h0WkhCa1IyZ3hXVzVXZWxwWVNtcGlNalV3V2xjMU1FeHRUblppVkVGbVFtZHZja0puUlVWQldVOHZDazFCUlVOQ1FrWXpZak5LY2xwdGVIWmtNVGxyWVZoT2QxbFlVbXBoUkVFeVFtZHZja0puUlVWQldVOHZUVUZGUkVKRGFHcE9Na2w2V2tkYWFVMTZUVEVLV21wQk1VMVhWWGhaZW1jeVdXMVNhRTVIVFROTlZGcHRXVmROTlU0eVVtMU9ha3BvV2tSbmVFMURNRWREYVhOSFFWRlJRbWMzT0hkQlVWRkZTREJXTkFwa1NFcHNZbGRXYzJWVFFtdFpWelZ1V2xoS2RtUllUV2RVTUd4RlVYbENhVnBYUm1waU1qUjNVMUZaUzB0M1dVSkNRVWRFZG5wQlFrSlJVVGRqTW14dUNtTXpVblpqYlZWMFdUSTVkVnB0T1hsaVYwWjFXVEpWZGxwWWFEQmpiVlowV2xkNE5VeFhVbWhpYldSc1kyMDVNV041TVhka1YwcHpZVmROZEdJeWJHc0tXWGt4YVZwWFJtcGlNalIzU0ZGWlMwdDNXVUpDUVVkRWRucEJRa0puVVZCamJWWnRZM2s1YjFwWFJtdGplVGwwV1Zkc2RVMUVjMGREYVhOSFFWRlJRZ3BuTnpoM1FWRm5SVXhSZDNKaFNGSXdZMGhOTmt4NU9UQmlNblJzWW1rMWFGa3pVbkJpTWpWNlRHMWtjR1JIYURGWmJsWjZXbGhLYW1JeU5UQmFWelV3Q2t4dFRuWmlWRU5DY0dkWlMwdDNXVUpDUVVkRWRucEJRa05SVTBKc2QzbENiRWRvTUdSSVFucFBhVGgyV2pKc01HRklWbWxNYlU1MllsTTVlbUZYWkhvS1pFYzVlVnBUTVdwaU1qVnRZak5LZEZsWE5XcGFVemxzWlVoU2VWcFhNV3hpU0d0MFdrZEdkVm95Vm5saU0xWjZURmhDTVZsdGVIQlplVEYyWVZkU2FncE1WMHBzV1ZkT2RtSnBPSFZhTW13d1lVaFdhVXd6WkhaamJYUnRZa2M1TTJONU9XeGxTRko1V2xjeGJHSklhM1JhUjBaMVdqSldlV0l6Vm5wTVZ6bHdDbHBIVFhSWmJWWm9XVEk1ZFV4dWJIUmlSVUo1V2xkYWVrd3lhR3haVjFKNlRESXhhR0ZYTkhkUFFWbExTM2RaUWtKQlIwUjJla0ZDUTJkUmNVUkRhR29LVGpKSmVscEhXbWxOZWsweFdtcEJNVTFYVlhoWmVtY3lXVzFTYUU1SFRUTk5WRnB0V1ZkTk5VNHlVbTFPYWtwb1drUm5lRTFDTUVkRGFYTkhRVkZSUWdwbk56aDNRVkZ6UlVSM2QwNWFNbXd3WVVoV2FVeFhhSFpqTTFKc1drUkNaVUpuYjNKQ1owVkZRVmxQTDAxQlJVMUNSa0ZOVkcxb01HUklRbnBQYVRoMkNsb3liREJoU0ZacFRHMU9kbUpUT1hwaFYyUjZaRWM1ZVZwVE1XcGlNalZ0WWpOS2RGbFhOV3BhVXpsc1pVaFNlVnBYTVd4aVNHdDBXa2RHZFZveVZua0tZak5XZWt4WVFqRlpiWGh3V1hreGRtRlhVbXBNVjBwc1dWZE9kbUpxUVRSQ1oyOXlRbWRGUlVGWlR5OU5RVVZPUWtOdlRVdEhUVE5aYWs1cldtMUplZ3BOZWxadFRVUlZlRnBVUm1wUFJGcHBXa2RGTUZsNlkzaE9iVnBvV1hwck0xcEhXVEpOYlVaclQwUkZkMGgzV1V0TGQxbENRa0ZIUkhaNlFVSkVaMUZTQ2tSQk9YbGFWMXA2VERKb2JGbFhVbnBNTWpGb1lWYzBkMGRSV1V0TGQxbENRa0ZIUkhaNlFVSkVkMUZNUkVGck1rMTZTVEZQVkZrMFQxUmpkMDUzV1VzS1MzZFpRa0pCUjBSMmVrRkNSVUZSY0VSRFpHOWtTRkozWTNwdmRrd3laSEJrUjJneFdXazFhbUl5TUhaak1teHVZek5TZG1OdFZYUlpNamwxV20wNWVRcGlWMFoxV1RKVmQwZFJXVXRMZDFsQ1FrRkhSSFo2UVVKRlVWRk1SRUZyZUUxNlJUUk5SRkV4VG1wTmQyZGhXVWREYVhOSFFWRlJRbWMzT0hkQlVrbEZDbWRhWTAxbldsSnZaRWhTZDJONmIzWk1NbVJ3WkVkb01WbHBOV3BpTWpCMll6SnNibU16VW5aamJWVjBXVEk1ZFZwdE9YbGlWMFoxV1RKVmRscFlhREFLWTIxV2RGcFhlRFZNVjFKb1ltMWtiR050T1RGamVURjNaRmRLYzJGWFRYUmlNbXhyV1hreGFWcFhSbXBpTWpSMlRHMWtjR1JIYURGWmFUa3pZak5LY2dwYWJYaDJaRE5OZGxwWWFEQmpiVlowV2xkNE5VeFhVbWhpYldSc1kyMDVNV041TVhaaFYxSnFURmRLYkZsWFRuWmlhVFUxWWxkNFFXTnRWbTFqZVRsdkNscFhSbXRqZVRsMFdWZHNkVTFFWjBkRGFYTkhRVkZSUW1jM09IZEJVazFGUzJkM2IxbDZaR2xOTWxKdFdXcE5lazVYV1hkT1ZFWnNUVmROTkU1dFNtc0tXVlJTYWs1NlJUSmFiVVpxVDFSa2ExcHFXWGxaVjFFMFRWUkJhRUpuYjNKQ1owVkZRVmxQTDAxQlJWVkNRazFOUlZoa2RtTnRkRzFpUnpreldESlNjQXBqTTBKb1pFZE9iMDFKUjBKQ1oyOXlRbWRGUlVGWlR5OU5RVVZXUWtoTlRXTlhhREJrU0VKNlQyazRkbG95YkRCaFNGWnBURzFPZG1KVE9YcGhWMlI2Q21SSE9YbGFVekZxWWpJMWJXSXpTblJaVnpWcVdsTTViR1ZJVW5sYVZ6RnNZa2hyZEZwSFJuVmFNbFo1WWpOV2VreFlRakZaYlhod1dYa3hkbUZYVW1vS1RGZEtiRmxYVG5aaWFUbG9XVE5TY0dJeU5YcE1NMG94WW01TmRrOUVUVEJPZWxFMFRWUlplVTlET1doa1NGSnNZbGhDTUdONU9IaE5RbGxIUTJselJ3cEJVVkZDWnpjNGQwRlNXVVZEUVhkSFkwaFdhV0pIYkdwTlNVZExRbWR2Y2tKblJVVkJaRm8xUVdkUlEwSklkMFZsWjBJMFFVaFpRVE5VTUhkaGMySklDa1ZVU21wSFVqUmpiVmRqTTBGeFNrdFljbXBsVUVzekwyZzBjSGxuUXpod04yODBRVUZCUjA5V09FRkljR2RCUVVKQlRVRlNla0pHUVdsQ1JtVk5ZbkFLUm1GeWJGQjNZakJ1WVZSeU5HMXFWMFIyV0VGd1QyUTVUMUp4VDJzek5rSnlkRGxUYlhkSmFFRktTblpxYjNJclJGaFZXSEkzVXpOV2JUbHFWa1pVTXdwRFREQkNlR05MUjJvNE5tMDFiVmw2VVhaMVlrMUJiMGREUTNGSFUwMDBPVUpCVFVSQk1tZEJUVWRWUTAxQk9HeFVhWGhrVXpScFRqbHRRVlZrZFU5aUNtTlRTbTFvV2t4NWRrczNlbUZZTURWRVRFVkVRMmRRVjNoRVNHc3JTa0phVlV0WlVrbDFTRWhuZDBadVQzZEplRUZNVFdGdGJ6bGtaa1ZPVFhwU1owNEtRM3BaWm5BdmVTdHlVMDlvVm1wWVdFVTViVU51TmtKMVNrVlViSEJTUkdaSGRuaFZaeTgxVEVZNVpqUnNXWEZ2ZWtFOVBRb3RMUzB0TFVWT1JDQkRSVkpVU1VaSlEwRlVSUzB0TFMwdENnPT0ifX19fQ==',
      },
    ],
  },
  messageSignature: {
    messageDigest: {
      algorithm: 'SHA2_256',
      digest: 'oM/HEnHW4njlfNMy/5V8P3BD/do1TEy7GQow1W76Ab8=',
    },
    signature:
      'MEUCICYFq/4bTEdlurgqVuNmwCcIWu3NKOCgveWAJBiezJ0uAiEA2i7U18+aRpFxLYksr5HKBQQy08zE050WIc0RzKunDIA=',
  },
};

// ---------------------------------------------------------------------------------------------
// Real bundles

describe('sigstore: real public-good bundles, offline', () => {
  const root = parseTrustedRoot(JSON.stringify(PUBLIC_GOOD_ROOT));

  it('v0.1 message signature (hashedrekord, SET, Fulcio chain) verifies with the artifact or its digest', () => {
    const byBytes = verifySigstoreBundle(JSON.stringify(V01_BUNDLE), {
      trustedRoot: root,
      artifact: Buffer.from('hello, world!'),
      identity: { subjectAlternativeName: 'brian@dehamer.com', issuer: 'https://github.com/login/oauth' },
    });
    assert.equal(byBytes.signer.kind, 'certificate');
    assert.equal(byBytes.integratedTime?.toISOString(), '2022-11-09T01:33:10.000Z');
    assert.equal(byBytes.logIndex, '6757503');
    const byDigest = verifySigstoreBundle(JSON.stringify(V01_BUNDLE), {
      trustedRoot: root,
      artifactDigest: `sha256:${sha256('hello, world!').toString('hex')}`,
    });
    assert.equal(
      byDigest.signer.kind === 'certificate' && byDigest.signer.issuer,
      'https://github.com/login/oauth',
    );
  });

  it('v0.1: another artifact, another identity, a tampered SET, an unknown log are rejected', () => {
    const text = JSON.stringify(V01_BUNDLE);
    rejects(
      () => verifySigstoreBundle(text, { trustedRoot: root, artifact: Buffer.from('hello, world?') }),
      /another artifact/,
    );
    rejects(
      () =>
        verifySigstoreBundle(text, {
          trustedRoot: root,
          artifact: Buffer.from('hello, world!'),
          identity: { subjectAlternativeName: 'someone@example.com' },
        }),
      /signed by brian@dehamer\.com, not by someone@example\.com/,
    );
    rejects(
      () =>
        verifySigstoreBundle(text, {
          trustedRoot: root,
          artifact: Buffer.from('hello, world!'),
          identity: { issuer: 'https://issuer.example.com' },
        }),
      /issued by https:\/\/github\.com\/login\/oauth, not by https:\/\/issuer\.example\.com/,
    );
    const badSet = clone(V01_BUNDLE) as Json;
    const entry = ((badSet.verificationMaterial as Json).tlogEntries as Json[])[0] as Json;
    entry.integratedTime = String(Number(entry.integratedTime) + 1);
    rejects(
      () =>
        verifySigstoreBundle(JSON.stringify(badSet), {
          trustedRoot: root,
          artifact: Buffer.from('hello, world!'),
        }),
      /signed entry timestamp does not verify/,
    );
    const noLog = clone(PUBLIC_GOOD_ROOT) as Json;
    noLog.tlogs = [];
    rejects(
      () =>
        verifySigstoreBundle(text, {
          trustedRoot: parseTrustedRoot(JSON.stringify(noLog)),
          artifact: Buffer.from('hello, world!'),
        }),
      /is not in the trusted root/,
    );
  });

  it('v0.1: a CA not valid at the integrated time is not trusted', () => {
    const late = clone(PUBLIC_GOOD_ROOT) as Json;
    ((late.certificateAuthorities as Json[])[0] as Json).validFor = { start: '2023-01-01T00:00:00Z' };
    rejects(
      () =>
        verifySigstoreBundle(JSON.stringify(V01_BUNDLE), {
          trustedRoot: parseTrustedRoot(JSON.stringify(late)),
          artifact: Buffer.from('hello, world!'),
        }),
      /does not chain to a certificate authority .* valid at 2022-11-09/,
    );
  });

  it("the certificate's embedded SCT must verify with a CT log of the trusted root", () => {
    const opts = { artifact: Buffer.from('hello, world!') };
    const withCt = (ctlogs: Json[]) =>
      parseTrustedRoot(JSON.stringify({ ...(clone(PUBLIC_GOOD_ROOT) as Json), ctlogs }));
    const ct = (PUBLIC_GOOD_ROOT.ctlogs as Json[])[0] as Json;
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    // the right log id with another key: the SCT signature fails
    const forged = clone(ct);
    (forged.publicKey as Json).rawBytes = b64(otherKey);
    rejects(
      () => verifySigstoreBundle(JSON.stringify(V01_BUNDLE), { trustedRoot: withCt([forged]), ...opts }),
      /signed certificate timestamp of CT log dd3d30.* does not verify/,
    );
    // only an unrelated CT log: no SCT counts
    const unrelated: Json = { ...clone(ct), logId: { keyId: b64(sha256(otherKey)) } };
    (unrelated.publicKey as Json).rawBytes = b64(otherKey);
    rejects(
      () => verifySigstoreBundle(JSON.stringify(V01_BUNDLE), { trustedRoot: withCt([unrelated]), ...opts }),
      /0 signed certificate timestamps from CT logs of the trusted root, 1 required/,
    );
    // without ctlogs in the trusted root (or with ctlogThreshold 0) SCTs are not required
    verifySigstoreBundle(JSON.stringify(V01_BUNDLE), { trustedRoot: withCt([]), ...opts });
    verifySigstoreBundle(JSON.stringify(V01_BUNDLE), {
      trustedRoot: withCt([unrelated]),
      ctlogThreshold: 0,
      ...opts,
    });
  });

  it('v0.3 with SET, inclusion proof and checkpoint verifies by digest (URI SAN, issuer extension .8)', () => {
    const r = verifySigstoreBundle(JSON.stringify(V03_BUNDLE), {
      trustedRoot: root,
      artifactDigest: V03_DIGEST,
      identity: {
        subjectAlternativeName:
          /^https:\/\/github\.com\/sigstore-conformance\/extremely-dangerous-public-oidc-beacon\//,
        issuer: 'https://token.actions.githubusercontent.com',
      },
    });
    assert.equal(r.logIndex, '79571823');
    // without the SET, the inclusion proof and the signed checkpoint alone carry the entry
    const proofOnly = clone(V03_BUNDLE) as Json;
    delete (((proofOnly.verificationMaterial as Json).tlogEntries as Json[])[0] as Json).inclusionPromise;
    verifySigstoreBundle(JSON.stringify(proofOnly), { trustedRoot: root, artifactDigest: V03_DIGEST });
  });

  it('v0.3: a tampered proof hash, root hash or checkpoint signature is rejected; a proof is required', () => {
    const mutate = (f: (proof: Json) => void) => {
      const b = clone(V03_BUNDLE) as Json;
      const e = ((b.verificationMaterial as Json).tlogEntries as Json[])[0] as Json;
      delete e.inclusionPromise;
      f(e.inclusionProof as Json);
      return JSON.stringify(b);
    };
    rejects(
      () =>
        verifySigstoreBundle(
          mutate((p) => {
            (p.hashes as string[])[3] = b64(Buffer.alloc(32, 7));
          }),
          { trustedRoot: root, artifactDigest: V03_DIGEST },
        ),
      /inclusion proof does not lead to its root hash/,
    );
    rejects(
      () =>
        verifySigstoreBundle(
          mutate((p) => {
            const cp = p.checkpoint as Json;
            cp.envelope = (cp.envelope as string).replace('Fnnj13Uu', 'Gnnj13Uu');
          }),
          { trustedRoot: root, artifactDigest: V03_DIGEST },
        ),
      /checkpoint root hash differs from the inclusion proof's/,
    );
    rejects(
      () =>
        verifySigstoreBundle(
          mutate((p) => {
            const cp = p.checkpoint as Json;
            cp.envelope = (cp.envelope as string).replace(/wNI9aj[A-Za-z0-9+/]{10}/, 'wNI9ajBFAiAAAAAAAAAA');
          }),
          { trustedRoot: root, artifactDigest: V03_DIGEST },
        ),
      /checkpoint signature does not verify/,
    );
    const noProof = clone(V03_BUNDLE) as Json;
    delete (((noProof.verificationMaterial as Json).tlogEntries as Json[])[0] as Json).inclusionProof;
    rejects(() => parseBundle(JSON.stringify(noProof)), /v0\.3 bundle needs an inclusion proof/);
  });
});

// ---------------------------------------------------------------------------------------------
// Independent Merkle tree (RFC 6962 §2.1 definitions: MTH and PATH, recursively)

function leafHash(d: Buffer): Buffer {
  return sha256(Buffer.concat([Buffer.from([0]), d]));
}
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(d: Buffer[]): Buffer {
  if (d.length === 1) return leafHash(d[0] as Buffer);
  const k = split(d.length);
  return sha256(Buffer.concat([Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k))]));
}
function auditPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  return m < k
    ? [...auditPath(m, d.slice(0, k)), mth(d.slice(k))]
    : [...auditPath(m - k, d.slice(k)), mth(d.slice(0, k))];
}

describe('sigstore: Merkle inclusion proofs against an independently built tree', () => {
  it('every leaf of trees of 1..33 leaves proves to the tree head; wrong index or hash does not', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => Buffer.from(`entry ${i} of ${n}`));
      const head = mth(leaves);
      for (let m = 0; m < n; m++) {
        const proof = auditPath(m, leaves);
        const got = merkleRootFromProof(leafHash(leaves[m] as Buffer), BigInt(m), BigInt(n), proof);
        assert.ok(got.equals(head), `tree ${n} leaf ${m}`);
        if (n > 1) {
          const other = (m + 1) % n;
          let bad: Buffer | undefined;
          try {
            bad = merkleRootFromProof(leafHash(leaves[m] as Buffer), BigInt(other), BigInt(n), proof);
          } catch {
            bad = undefined;
          }
          assert.ok(!bad?.equals(head), `tree ${n}: leaf ${m} must not prove as leaf ${other}`);
        }
      }
    }
    assert.throws(() => merkleRootFromProof(Buffer.alloc(32), 5n, 5n, []), /not inside the tree/);
  });
});

// ---------------------------------------------------------------------------------------------
// ECDSA / RSA checks over a digest only (no message)

describe('sigstore: signature checks over a digest', () => {
  it('agree with node:crypto signatures for P-256, P-384 and RSA, and reject a wrong digest', () => {
    const msg = Buffer.from('the artifact');
    for (const [opts, hash] of [
      [{ namedCurve: 'P-256' }, 'sha256'],
      [{ namedCurve: 'P-384' }, 'sha384'],
      [{ namedCurve: 'P-256' }, 'sha384'],
    ] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', opts);
      for (let i = 0; i < 4; i++) {
        const sig = sign(hash, msg, privateKey);
        const digest = createHash(hash).update(msg).digest();
        assert.ok(verifyDigestSignature(publicKey, hash, digest, sig), `${opts.namedCurve}/${hash}`);
        digest[0] = (digest[0] as number) ^ 1;
        assert.ok(!verifyDigestSignature(publicKey, hash, digest, sig));
      }
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sig = sign('sha256', msg, rsa.privateKey);
    assert.ok(verifyDigestSignature(rsa.publicKey, 'sha256', sha256(msg), sig));
    assert.ok(!verifyDigestSignature(rsa.publicKey, 'sha256', sha256('other'), sig));
  });
});

// ---------------------------------------------------------------------------------------------
// A complete test PKI and log

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const ISSUER = 'https://issuer.example.com';
const WORKFLOW = 'https://ci.example.com/org/repo/.ci/release.yml@refs/heads/main';

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

function writeKey(dir: string, name: string, key: KeyObject): string {
  const file = path.join(dir, `${name}.key`);
  writeFileSync(file, key.export({ format: 'pem', type: 'pkcs8' }) as string);
  return file;
}

interface Pki {
  root: X509Certificate;
  intermediate: X509Certificate;
  leaf: (name: string, ext: string[], key: KeyObject) => X509Certificate;
}

function makePki(dir: string, caName: string): Pki {
  const rootKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const intKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  writeKey(dir, `${caName}-root`, rootKey);
  writeKey(dir, `${caName}-int`, intKey);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    `${caName}-root.key`,
    '-subj',
    `/O=example/CN=${caName}-root`,
    '-days',
    '3650',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    `${caName}-root.pem`,
  ]);
  writeFileSync(
    path.join(dir, `${caName}-int.cnf`),
    '[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=codeSigning\n',
  );
  openssl(dir, [
    'req',
    '-new',
    '-key',
    `${caName}-int.key`,
    '-subj',
    `/O=example/CN=${caName}-intermediate`,
    '-out',
    `${caName}-int.csr`,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${caName}-int.csr`,
    '-CA',
    `${caName}-root.pem`,
    '-CAkey',
    `${caName}-root.key`,
    '-set_serial',
    '2',
    '-days',
    '3650',
    '-extfile',
    `${caName}-int.cnf`,
    '-extensions',
    'v3',
    '-out',
    `${caName}-int.pem`,
  ]);
  const read = (f: string) => new X509Certificate(readFileSync(path.join(dir, f)));
  let serial = 10;
  return {
    root: read(`${caName}-root.pem`),
    intermediate: read(`${caName}-int.pem`),
    leaf(name, ext, key) {
      writeKey(dir, name, key);
      writeFileSync(path.join(dir, `${name}.cnf`), `[v3]\n${ext.join('\n')}\n`);
      openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
      openssl(dir, [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${caName}-int.pem`,
        '-CAkey',
        `${caName}-int.key`,
        '-set_serial',
        String(serial++),
        '-days',
        '1',
        '-extfile',
        `${name}.cnf`,
        '-extensions',
        'v3',
        '-out',
        `${name}.pem`,
      ]);
      return read(`${name}.pem`);
    },
  };
}

const hexColons = (s: string) =>
  Buffer.from(s)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1:');

const FULCIO_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=codeSigning',
];

class TestLog {
  readonly key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly spki = this.key.publicKey.export({ format: 'der', type: 'spki' });
  readonly logId = sha256(this.spki);
  readonly origin = 'log.example.com - 42';
  readonly entries: Buffer[] = Array.from({ length: 12 }, (_, i) => Buffer.from(`{"other":${i}}`));

  /** Appends a body and returns a tlog entry (SET and/or inclusion proof) as protobuf-JSON. */
  add(body: Buffer, integratedTime: number, opts: { set?: boolean; proof?: boolean } = {}): Json {
    const parsed = JSON.parse(body.toString()) as { kind: string; apiVersion: string };
    const index = this.entries.length;
    this.entries.push(body);
    // a few more entries after ours, so the proof is not just the right edge
    this.entries.push(Buffer.from(`{"after":${index}}`), Buffer.from(`{"after2":${index}}`));
    const entry: Json = {
      logIndex: String(index),
      logId: { keyId: b64(this.logId) },
      kindVersion: { kind: parsed.kind, version: parsed.apiVersion },
      integratedTime: String(integratedTime),
      canonicalizedBody: b64(body),
    };
    if (opts.set !== false) {
      const payload = JSON.stringify({
        body: b64(body),
        integratedTime,
        logID: this.logId.toString('hex'),
        logIndex: index,
      });
      entry.inclusionPromise = {
        signedEntryTimestamp: b64(sign('sha256', Buffer.from(payload), this.key.privateKey)),
      };
    }
    if (opts.proof !== false) {
      const size = this.entries.length;
      const head = mth(this.entries);
      const note = `${this.origin}\n${size}\n${b64(head)}\n`;
      const sig = sign('sha256', Buffer.from(note), this.key.privateKey);
      entry.inclusionProof = {
        logIndex: String(index),
        rootHash: b64(head),
        treeSize: String(size),
        hashes: auditPath(index, this.entries).map(b64),
        checkpoint: {
          envelope: `${note}\n\u2014 log.example.com ${b64(Buffer.concat([this.logId.subarray(0, 4), sig]))}\n`,
        },
      };
    }
    return entry;
  }

  trustJson(validFor: Json = { start: '2020-01-01T00:00:00Z' }): Json {
    return {
      baseUrl: 'https://log.example.com',
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(this.spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
      logId: { keyId: b64(this.logId) },
    };
  }
}

function pem(cert: X509Certificate): string {
  return cert.toString();
}

function hashedrekordBody(sig: Buffer, digest: Buffer, signerPem: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: { content: b64(sig), publicKey: { content: b64(signerPem) } },
      },
    }),
  );
}

function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `),
    payload,
  ]);
}

describe('sigstore: a test PKI and log built here', { skip: HAVE_OPENSSL ? false : 'needs openssl' }, () => {
  const dir = HAVE_OPENSSL ? tmpdir('dd-sigstore-') : '';
  const pki = HAVE_OPENSSL ? makePki(dir, 'ca') : (undefined as unknown as Pki);
  const other = HAVE_OPENSSL ? makePki(dir, 'rogue') : (undefined as unknown as Pki);
  const log = new TestLog();
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const leaf = HAVE_OPENSSL
    ? pki.leaf(
        'leaf-uri',
        [
          ...FULCIO_EXT,
          `subjectAltName=critical,URI:${WORKFLOW}`,
          `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${ISSUER}`,
          `1.3.6.1.4.1.57264.1.1=DER:${hexColons('https://old-issuer.example.com')}`,
        ],
        leafKey,
      )
    : (undefined as unknown as X509Certificate);
  const now = Math.floor(Date.now() / 1000) + 1;
  const trustJson = (extra: Json = {}): Json => ({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [log.trustJson()],
    certificateAuthorities: [
      {
        uri: 'https://ca.example.com',
        certChain: {
          certificates: [{ rawBytes: b64(pki.intermediate.raw) }, { rawBytes: b64(pki.root.raw) }],
        },
        validFor: { start: '2020-01-01T00:00:00Z' },
      },
    ],
    ctlogs: [],
    ...extra,
  });
  const trusted = () => parseTrustedRoot(JSON.stringify(trustJson()));
  const artifact = Buffer.from(`release tarball ${Date.now()}`);

  function messageBundle(
    key: KeyObject,
    cert: X509Certificate | undefined,
    opts: { version?: string; set?: boolean; proof?: boolean; time?: number; data?: Buffer } = {},
  ): Json {
    const data = opts.data ?? artifact;
    const sig = sign('sha256', data, key);
    const signerPem = cert
      ? pem(cert)
      : (createPublicKey(key).export({ format: 'pem', type: 'spki' }) as string);
    const body = hashedrekordBody(sig, sha256(data), signerPem);
    const entry = log.add(body, opts.time ?? now, { set: opts.set, proof: opts.proof });
    const version = opts.version ?? '0.3';
    return {
      mediaType:
        version === '0.3'
          ? 'application/vnd.dev.sigstore.bundle.v0.3+json'
          : `application/vnd.dev.sigstore.bundle+json;version=${version}`,
      verificationMaterial: {
        ...(cert
          ? version === '0.3'
            ? { certificate: { rawBytes: b64(cert.raw) } }
            : { x509CertificateChain: { certificates: [{ rawBytes: b64(cert.raw) }] } }
          : {
              publicKey: {
                hint: sha256(createPublicKey(key).export({ format: 'der', type: 'spki' })).toString('hex'),
              },
            }),
        tlogEntries: [entry],
      },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: b64(sha256(data)) },
        signature: b64(sig),
      },
      _signerPem: signerPem,
    };
  }

  const strip = (b: Json) => {
    const c = { ...b };
    delete c._signerPem;
    return JSON.stringify(c);
  };

  it('v0.2 and v0.3 message signatures verify (proof only; SET and proof), with identity and the old issuer OID', () => {
    for (const [version, set] of [
      ['0.2', false],
      ['0.3', true],
      ['0.3', false],
    ] as const) {
      const r = verifySigstoreBundle(strip(messageBundle(leafKey, leaf, { version, set })), {
        trustedRoot: trusted(),
        artifact,
        identity: { subjectAlternativeName: WORKFLOW, issuer: ISSUER },
      });
      assert.equal(r.signer.kind, 'certificate');
      assert.equal(r.signer.kind === 'certificate' && r.signer.issuer, ISSUER, `${version} set=${set}`);
    }
    // a certificate with only the deprecated issuer extension (raw bytes, not DER)
    const k2 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const old = pki.leaf(
      'leaf-email',
      [
        ...FULCIO_EXT,
        'subjectAltName=email:dev@example.com',
        `1.3.6.1.4.1.57264.1.1=DER:${hexColons(ISSUER)}`,
      ],
      k2,
    );
    const r = verifySigstoreBundle(strip(messageBundle(k2, old, { version: '0.1', proof: false })), {
      trustedRoot: trusted(),
      artifactDigest: `sha256:${sha256(artifact).toString('hex')}`,
      identity: { subjectAlternativeName: 'dev@example.com', issuer: ISSUER },
    });
    assert.equal(r.signer.kind === 'certificate' && r.signer.subjectAlternativeName, 'dev@example.com');
  });

  it('rejects: another artifact, a certificate outside its validity, a rogue CA, a non-code-signing leaf', () => {
    rejects(
      () =>
        verifySigstoreBundle(strip(messageBundle(leafKey, leaf)), {
          trustedRoot: trusted(),
          artifact: Buffer.from('something else'),
        }),
      /another artifact/,
    );
    // the log says the entry was integrated a day before the certificate was issued
    rejects(
      () =>
        verifySigstoreBundle(strip(messageBundle(leafKey, leaf, { time: now - 86_400 })), {
          trustedRoot: trusted(),
          artifact,
        }),
      /signing certificate was not valid at/,
    );
    const rogueKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const rogue = other.leaf(
      'rogue-leaf',
      [...FULCIO_EXT, `subjectAltName=critical,URI:${WORKFLOW}`],
      rogueKey,
    );
    rejects(
      () => verifySigstoreBundle(strip(messageBundle(rogueKey, rogue)), { trustedRoot: trusted(), artifact }),
      /does not chain to a certificate authority of the trusted root/,
    );
    const plainKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const plain = pki.leaf(
      'leaf-noeku',
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        `subjectAltName=URI:${WORKFLOW}`,
      ],
      plainKey,
    );
    rejects(
      () => verifySigstoreBundle(strip(messageBundle(plainKey, plain)), { trustedRoot: trusted(), artifact }),
      /not for code signing/,
    );
  });

  it('rejects a log entry that records another signature, and a log key not valid at the integrated time', () => {
    const b = messageBundle(leafKey, leaf);
    const other = messageBundle(leafKey, leaf, { data: Buffer.from('other artifact') });
    ((b.verificationMaterial as Json).tlogEntries as Json[])[0] = (
      (other.verificationMaterial as Json).tlogEntries as Json[]
    )[0] as Json;
    rejects(
      () => verifySigstoreBundle(strip(b), { trustedRoot: trusted(), artifact }),
      /log entry records a different (signature|artifact digest)/,
    );
    const expiredLog = trustJson({
      tlogs: [log.trustJson({ start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' })],
    });
    rejects(
      () =>
        verifySigstoreBundle(strip(messageBundle(leafKey, leaf)), {
          trustedRoot: parseTrustedRoot(JSON.stringify(expiredLog)),
          artifact,
        }),
      /not in the trusted root \(or not valid then\)/,
    );
    const tooFew = verifyBundle.bind(null, parseBundle(strip(messageBundle(leafKey, leaf))), {
      trustedRoot: trusted(),
      artifact,
      tlogThreshold: 2,
    });
    rejects(tooFew, /1 verified transparency log entries, 2 required/);
  });

  it('rejects a checkpoint signed by a key the trusted root does not have', () => {
    const b = messageBundle(leafKey, leaf, { set: false });
    const entry = ((b.verificationMaterial as Json).tlogEntries as Json[])[0] as Json;
    const proof = entry.inclusionProof as Json;
    const cp = proof.checkpoint as Json;
    const note = (cp.envelope as string).split('\n\n')[0] as string;
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sig = sign('sha256', Buffer.from(`${note}\n`), stranger.privateKey);
    cp.envelope = `${note}\n\n\u2014 log.example.com ${b64(Buffer.concat([log.logId.subarray(0, 4), sig]))}\n`;
    rejects(
      () => verifySigstoreBundle(strip(b), { trustedRoot: trusted(), artifact }),
      /checkpoint signature does not verify/,
    );
  });

  /** A v0.3 bundle: DSSE envelope of an in-toto statement about `digest` (hex), logged as dsse 0.0.1. */
  function dsseBundle(digest: string): { bundle: Json & { dsseEnvelope: Json }; statement: Buffer } {
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'release.tar', digest: { sha256: digest } }],
        predicateType: 'https://example.com/provenance/v1',
        predicate: { builder: 'ci' },
      }),
    );
    const type = 'application/vnd.in-toto+json';
    const sig = sign('sha256', pae(type, statement), leafKey);
    const envelope = {
      payload: b64(statement),
      payloadType: type,
      signatures: [{ sig: b64(sig), keyid: '' }],
    };
    const body = Buffer.from(
      JSON.stringify({
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelope)).toString('hex') },
          payloadHash: { algorithm: 'sha256', value: sha256(statement).toString('hex') },
          signatures: [{ signature: b64(sig), verifier: b64(pem(leaf)) }],
        },
      }),
    );
    return {
      bundle: {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { certificate: { rawBytes: b64(leaf.raw) }, tlogEntries: [log.add(body, now)] },
        dsseEnvelope: envelope,
      },
      statement,
    };
  }

  it('a DSSE in-toto bundle (dsse 0.0.1 entry) verifies and must name the artifact among its subjects', () => {
    const digest = sha256(artifact).toString('hex');
    const type = 'application/vnd.in-toto+json';
    const { bundle, statement } = dsseBundle(digest);
    const r = verifySigstoreBundle(JSON.stringify(bundle), {
      trustedRoot: trusted(),
      artifactDigest: `sha256:${digest}`,
      identity: { issuer: ISSUER },
    });
    assert.equal(r.payloadType, type);
    assert.deepEqual(JSON.parse(String(r.payload)).subject[0].digest.sha256, digest);
    rejects(
      () =>
        verifySigstoreBundle(JSON.stringify(bundle), {
          trustedRoot: trusted(),
          artifactDigest: `sha256:${'0'.repeat(64)}`,
        }),
      /is not a subject of the statement/,
    );
    const tampered = clone(bundle);
    tampered.dsseEnvelope.payload = b64(statement.toString().replace('"ci"', '"evil"'));
    rejects(
      () => verifySigstoreBundle(JSON.stringify(tampered), { trustedRoot: trusted() }),
      /signature does not verify/,
    );
  });

  it('a bundle attached to an image as an OCI referrer verifies (cosign bundle format)', {
    skip: SKIP_REGISTRY,
  }, async () => {
    const opts = { insecure: true };
    const c = new RegistryClient(parseReference(`${REGISTRY.plain}/dd/sigstore-test:x`), opts);
    const OCI = 'application/vnd.oci.image.manifest.v1+json';
    const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const push = async (tag: string, extra: Json, layer: Buffer, layerType: string) => {
      const cfg = Buffer.from('{}');
      const body = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI,
          config: {
            mediaType: 'application/vnd.oci.empty.v1+json',
            digest: await c.putBlob(cfg),
            size: cfg.length,
          },
          layers: [{ mediaType: layerType, digest: await c.putBlob(layer), size: layer.length }],
          ...extra,
        }),
      );
      return { digest: await c.putManifest(tag, body, OCI), size: body.length };
    };
    try {
      const image = await push(
        'v1',
        {},
        Buffer.from(`layer ${Date.now()} ${Math.random()}`),
        'application/octet-stream',
      );
      const unsigned = await push(
        'v2',
        {},
        Buffer.from(`other ${Date.now()} ${Math.random()}`),
        'application/octet-stream',
      );
      const { bundle } = dsseBundle(image.digest.slice('sha256:'.length));
      const att = await push(
        'att',
        { artifactType: BUNDLE, subject: { mediaType: OCI, ...image } },
        Buffer.from(JSON.stringify(bundle)),
        BUNDLE,
      );
      // distribution 2.8 has no referrers API: maintain the referrers tag schema index, as pushers do
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [{ mediaType: OCI, ...att, artifactType: BUNDLE }],
        }),
      );
      await c.putManifest(image.digest.replace(':', '-'), index, 'application/vnd.oci.image.index.v1+json');
      const ref = parseReference(`${REGISTRY.plain}/dd/sigstore-test:v1`);
      const r = await verifyCosignBundle(ref, image.digest, {
        trustedRoot: trusted(),
        identity: { subjectAlternativeName: WORKFLOW, issuer: ISSUER },
        registry: opts,
      });
      assert.equal(r.signer.kind === 'certificate' && r.signer.subjectAlternativeName, WORKFLOW);
      await assert.rejects(
        verifyCosignBundle(ref, image.digest, {
          trustedRoot: trusted(),
          identity: { subjectAlternativeName: 'https://ci.example.com/someone-else' },
          registry: opts,
        }),
        (e: unknown) =>
          e instanceof UserError &&
          /failed: bundle 1 .*not by https:\/\/ci\.example\.com\/someone-else/.test(e.message),
      );
      await assert.rejects(
        verifyCosignBundle(ref, unsigned.digest, { trustedRoot: trusted(), registry: opts }),
        (e: unknown) => e instanceof UserError && /no Sigstore bundle attached/.test(e.message),
      );
    } finally {
      await c.close();
    }
  });

  it('a key-signed bundle verifies with the public key and names no identity', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const b = messageBundle(key.privateKey, undefined);
    const pubPem = key.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const r = verifySigstoreBundle(strip(b), { trustedRoot: trusted(), artifact, publicKeys: [pubPem] });
    assert.equal(r.signer.kind, 'publicKey');
    rejects(() => verifySigstoreBundle(strip(b), { trustedRoot: trusted(), artifact }), /give the key/);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'pem',
      type: 'spki',
    });
    rejects(
      () =>
        verifySigstoreBundle(strip(b), {
          trustedRoot: trusted(),
          artifact,
          publicKeys: [stranger as string],
        }),
      /signature does not verify with the given public key/,
    );
  });

  it('bad input: wrong media type, oversized, duplicate keys, bad base64 are one-line UserErrors', () => {
    rejects(() => parseBundle('{"mediaType":"application/json"}'), /unsupported media type/);
    rejects(() => parseBundle('{"a":1,"a":2}'), /duplicate/i);
    rejects(() => parseBundle(Buffer.alloc(5 * 1024 * 1024, 32)), /larger than/);
    const bad = JSON.parse(strip(messageBundle(leafKey, leaf))) as Json;
    (bad.messageSignature as Json).signature = 'not base64!';
    rejects(() => parseBundle(JSON.stringify(bad)), /signature is not valid base64/);
    rejects(() => parseTrustedRoot('{"tlogs":[{"publicKey":{"rawBytes":"AAAA"}}]}'), /not a DER public key/);
  });
});
