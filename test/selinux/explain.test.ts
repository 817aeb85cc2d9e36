import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import {
  describeLabel,
  explainLabel,
  formatExplainTable,
  pssBaselineVerdict,
} from '../../src/selinux/explain.js';
import { fromKubernetes, parseContext, parseSecurityOpts } from '../../src/selinux/label.js';
import { formatTypesTable, KNOWN_TYPES, lookupType, PSS_BASELINE_TYPES } from '../../src/selinux/types.js';

const opts = (...o: string[]) => parseSecurityOpts(o, 'x');
const has = (list: readonly string[], part: string) => list.some((s) => s.includes(part));

describe('known types', () => {
  it('cover the container-selinux process domains, spc_t and the file types', () => {
    const names = new Set(KNOWN_TYPES.map((t) => t.name));
    for (const n of [
      'container_t',
      'container_init_t',
      'container_kvm_t',
      'container_engine_t',
      'container_userns_t',
      'container_logreader_t',
      'spc_t',
      'container_file_t',
      'container_ro_file_t',
    ])
      assert.ok(names.has(n), n);
    for (const t of KNOWN_TYPES) {
      assert.ok(t.summary.length > 0 && t.grants.length > 0, t.name);
      assert.ok(t.name.endsWith('_t'), t.name);
      if (t.kind === 'file') assert.equal(t.pssBaseline, false);
    }
  });

  it('resolves old names to the current type', () => {
    assert.deepEqual(
      { name: lookupType('svirt_lxc_net_t')?.type.name, alias: lookupType('svirt_lxc_net_t')?.alias },
      { name: 'container_t', alias: 'svirt_lxc_net_t' },
    );
    assert.equal(lookupType('svirt_sandbox_file_t')?.type.name, 'container_file_t');
    assert.equal(lookupType('container_t')?.alias, undefined);
    assert.equal(lookupType('httpd_t'), undefined);
  });

  it('agrees with the PSS baseline list', () => {
    const allowed = KNOWN_TYPES.filter((t) => t.pssBaseline).map((t) => t.name);
    assert.deepEqual(allowed.sort(), PSS_BASELINE_TYPES.filter((t) => t !== '').sort());
    assert.equal(lookupType('container_engine_t')?.type.pssSince, 'v1.31');
  });

  it('renders a types table with one row per type', () => {
    const table = formatTypesTable();
    const lines = table.split('\n');
    assert.equal(lines.length, KNOWN_TYPES.length + 1);
    assert.match(lines[0] ?? '', /^TYPE\s+KIND\s+SELINUX\s+MCS\s+PSS BASELINE\s+WHAT IT IS$/);
    assert.ok(table.includes('container_t (svirt_lxc_net_t)'));
    assert.match(table, /container_engine_t\s+process\s+confined\s+yes\s+allowed since v1\.31/);
    assert.match(table, /spc_t\s+process\s+unconfined\s+no\s+forbidden/);
    assert.equal(
      formatTypesTable('file').split('\n').length,
      KNOWN_TYPES.filter((t) => t.kind === 'file').length + 1,
    );
  });
});

describe('explainLabel: process types', () => {
  it('container_t (default): confined, unique MCS pair, allowed', () => {
    const ex = explainLabel(opts());
    assert.equal(ex.processType, 'container_t');
    assert.equal(ex.fileType, 'container_file_t');
    assert.ok(ex.summary.includes('runtime default'));
    assert.ok(ex.mcs.includes('unique category pair'));
    assert.ok(has(ex.grants, 'container_file_t'));
    assert.deepEqual(ex.risks, []);
    assert.equal(ex.pssBaseline, 'allowed');
    assert.equal(ex.label, '(none: runtime default)');
  });

  const confined: [string, string, string][] = [
    ['container_init_t', 'systemd', 'cgroup'],
    ['container_kvm_t', 'Kata', '/dev/kvm'],
    ['container_engine_t', 'container engine', 'mount, remount and unmount any filesystem'],
  ];
  for (const [type, summary, grant] of confined) {
    it(`${type}: allowed by the baseline, grants ${grant}`, () => {
      const ex = explainLabel(opts(`label=type:${type}`, 'label=level:s0:c1,c2'));
      assert.equal(ex.processType, type);
      assert.ok(ex.summary.includes(summary), ex.summary);
      assert.ok(has(ex.grants, grant), ex.grants.join('|'));
      assert.equal(ex.pssBaseline, 'allowed');
      assert.ok(ex.mcs.includes('s0:c1,c2'));
    });
  }

  it('container_engine_t notes the Kubernetes version', () => {
    assert.ok(explainLabel(opts('label=type:container_engine_t')).pssReason.includes('v1.31'));
  });

  const forbidden: [string, string][] = [
    ['container_userns_t', 'sys_admin'],
    ['container_logreader_t', 'audit log'],
    ['container_logwriter_t', 'delete host logs'],
    ['container_device_t', 'character device'],
    ['container_device_plugin_t', 'kubelet'],
    ['container_device_plugin_init_t', 'kubelet configuration'],
    ['container_runtime_t', 'engine'],
    ['unconfined_t', 'no SELinux confinement'],
  ];
  for (const [type, risk] of forbidden) {
    it(`${type}: forbidden by the baseline, risk mentions ${risk}`, () => {
      const ex = explainLabel(opts(`label=type:${type}`));
      assert.equal(ex.pssBaseline, 'forbidden');
      assert.ok(ex.pssReason.includes(`type ${type}`), ex.pssReason);
      assert.ok(has(ex.risks, risk), ex.risks.join('|'));
    });
  }

  it('spc_t: unconfined, level ignored, forbidden', () => {
    const ex = explainLabel(parseContext('system_u:system_r:spc_t:s0', 'x'));
    assert.equal(ex.processType, 'spc_t');
    assert.ok(ex.mcs.includes('not MCS-constrained'));
    assert.ok(has(ex.risks, 'no SELinux confinement'));
    assert.ok(has(ex.grants, 'unconfined'));
    assert.equal(ex.pssBaseline, 'forbidden');
    assert.ok(ex.pssReason.includes('user must be unset'));
    assert.ok(ex.pssReason.includes('role must be unset'));
    assert.ok(ex.pssReason.includes('type spc_t'));
    assert.equal(ex.label, 'system_u:system_r:spc_t:s0');
  });

  it('svirt_lxc_net_t: explained as container_t, yet the baseline compares names', () => {
    const ex = explainLabel(opts('label=type:svirt_lxc_net_t'));
    assert.ok(ex.summary.includes('old name of container_t'));
    assert.ok(has(ex.grants, 'container_file_t'));
    assert.equal(ex.pssBaseline, 'forbidden');
    assert.ok(ex.pssReason.includes('alias of container_t'));
  });

  it('an unknown type: points at the host policy', () => {
    const ex = explainLabel(opts('label=type:httpd_t'));
    assert.ok(ex.summary.includes('not a container-selinux type'));
    assert.ok(has(ex.risks, 'sesearch -A -s httpd_t'));
    assert.ok(ex.mcs.startsWith('if the type is MCS-constrained'));
    assert.equal(ex.pssBaseline, 'forbidden');
  });

  it('a file type used as the process type', () => {
    const ex = explainLabel(opts('label=type:container_file_t'));
    assert.ok(ex.summary.includes('file type'));
    assert.ok(has(ex.risks, 'kernel rejects it'));
  });
});

describe('explainLabel: disable, privileged, MCS', () => {
  it('label=disable: spc_t, unconfined, forbidden', () => {
    const ex = explainLabel(opts('label=disable'));
    assert.equal(ex.processType, 'spc_t');
    assert.ok(ex.summary.includes('label=disable'));
    assert.ok(has(ex.risks, 'no SELinux confinement'));
    assert.equal(ex.pssBaseline, 'forbidden');
    assert.equal(ex.label, 'label=disable');
  });

  it('privileged or host namespaces without label options: labelling is disabled', () => {
    for (const o of [{ privileged: true }, { hostNamespaces: true }]) {
      const ex = explainLabel(opts(), o);
      assert.equal(ex.processType, 'spc_t');
      assert.ok(ex.summary.includes('disable labelling'), ex.summary);
    }
    // An explicit label option wins over the privileged default.
    assert.equal(
      explainLabel(opts('label=type:container_t'), { privileged: true }).processType,
      'container_t',
    );
  });

  it('s0 without categories: no MCS separation', () => {
    const ex = explainLabel(opts('label=level:s0'));
    assert.ok(has(ex.risks, 'no categories'));
    assert.ok(has(ex.risks, 'no MCS separation'));
    assert.equal(ex.pssBaseline, 'allowed');
  });

  it('the full category range: reaches every container', () => {
    for (const level of ['s0-s0:c0.c1023', 's0:c0.c1023']) {
      const ex = explainLabel(fromKubernetes({ level }, 'x'));
      assert.ok(has(ex.risks, 'every other container'), level);
      assert.equal(ex.pssBaseline, 'allowed', 'the baseline does not restrict the level');
    }
  });

  it('a single category is shared with any container holding it', () => {
    const ex = explainLabel(opts('label=level:s0:c5'));
    assert.ok(has(ex.risks, 'include c5'));
  });

  it('a normal pair carries no MCS risk and tells how ranges are checked', () => {
    assert.deepEqual(explainLabel(opts('label=level:s0:c1,c2')).risks, []);
    const r = explainLabel(opts('label=level:s0:c1-s0:c1,c2'));
    assert.ok(r.mcs.includes('low level s0:c1'));
    assert.equal(r.level, 's0:c1-s0:c1,c2');
  });

  it('sensitivities above s0 are warned about', () => {
    const ex = explainLabel(opts('label=level:s2:c1,c2'));
    assert.ok(has(ex.warnings, 'MLS policy'));
  });
});

describe('explainLabel: user, role, filetype, nested', () => {
  it('user and role: risks and baseline forbidden', () => {
    const ex = explainLabel(
      fromKubernetes({ user: 'unconfined_u', role: 'unconfined_r', type: 'container_t' }, 'x'),
    );
    assert.ok(has(ex.risks, 'custom SELinux user unconfined_u'));
    assert.ok(has(ex.risks, 'unconfined_r admits unconfined domains'));
    assert.equal(ex.pssBaseline, 'forbidden');
    assert.equal(ex.label, 'unconfined_u:unconfined_r:container_t');
  });

  it('filetype: container types, a host type, a process type', () => {
    const def = explainLabel(opts('label=filetype:svirt_sandbox_file_t'));
    assert.equal(def.fileType, 'svirt_sandbox_file_t');
    assert.ok(has(def.grants, 'old name of container_file_t'));
    assert.deepEqual(def.risks, []);
    const ro = explainLabel(opts('label=filetype:container_ro_file_t'));
    assert.ok(has(ro.risks, 'unwritable'));
    const host = explainLabel(opts('label=filetype:usr_t'));
    assert.ok(has(host.risks, 'not a container file type'));
    const proc = explainLabel(opts('label=filetype:container_t'));
    assert.ok(has(proc.risks, 'process type, not a file type'));
  });

  it('nested (podman)', () => {
    const ex = explainLabel(opts('label=nested', 'label=type:container_engine_t'));
    assert.ok(has(ex.grants, 'label=nested'));
    assert.ok(has(ex.risks, 'relabel'));
    assert.ok(ex.label.endsWith('nested'));
  });
});

describe('pssBaselineVerdict', () => {
  const cases: [Parameters<typeof pssBaselineVerdict>[0], 'allowed' | 'forbidden'][] = [
    [{}, 'allowed'],
    [{ type: '' }, 'allowed'],
    [{ type: 'container_t' }, 'allowed'],
    [{ type: 'container_init_t', level: 's0:c0.c1023' }, 'allowed'],
    [{ type: 'container_kvm_t' }, 'allowed'],
    [{ type: 'container_engine_t' }, 'allowed'],
    [{ type: 'spc_t' }, 'forbidden'],
    [{ type: 'container_logreader_t' }, 'forbidden'],
    [{ user: 'system_u' }, 'forbidden'],
    [{ role: 'system_r' }, 'forbidden'],
    [{ user: '', role: '' }, 'allowed'],
    [{ disable: true }, 'forbidden'],
    [{ filetype: 'usr_t' }, 'allowed'],
  ];
  for (const [label, verdict] of cases) {
    it(`${JSON.stringify(label)} is ${verdict}`, () => {
      assert.equal(pssBaselineVerdict(label).verdict, verdict);
    });
  }

  it('lists every reason', () => {
    const r = pssBaselineVerdict({ user: 'u', role: 'r', type: 't' });
    assert.equal(r.reason.split('; ').length, 3);
  });
});

describe('explainLabel input handling and table', () => {
  it('validates plain labels and throws clean UserErrors', () => {
    const ex = explainLabel({ type: 'container_t', level: 's0:c2,c1' });
    assert.equal(ex.level, 's0:c1,c2');
    assert.ok(has(ex.warnings, 'ascending'));
    assert.throws(
      () => explainLabel({ level: 's0:c9.c1' }, { where: 'pod.yaml:7' }),
      (e: unknown) =>
        e instanceof UserError && e.message.startsWith('pod.yaml:7: ') && e.message.includes('reversed'),
    );
    assert.throws(() => explainLabel({ type: 'bad type' }), UserError);
  });

  it('describes labels in one line', () => {
    assert.equal(
      describeLabel({ type: 'container_t', level: 's0:c1,c2' }),
      'type=container_t level=s0:c1,c2',
    );
    assert.equal(
      describeLabel({
        user: 'system_u',
        role: 'system_r',
        type: 'container_t',
        filetype: 'container_file_t',
      }),
      'system_u:system_r:container_t filetype=container_file_t',
    );
    assert.equal(describeLabel({ disable: true, type: 'x_t' }), 'label=disable');
  });

  it('renders a table for one or several explanations', () => {
    const a = explainLabel(opts('label=type:spc_t'));
    const b = explainLabel(opts('label=level:s0'));
    const one = formatExplainTable(a);
    assert.match(one, /^FIELD\s+VALUE$/m);
    assert.match(one, /^Process type\s+spc_t$/m);
    assert.match(one, /^PSS baseline\s+forbidden: type spc_t/m);
    assert.match(one, /^Risks\s+! no SELinux confinement/m);
    assert.match(one, /^Grants\s+\+ /m);
    const two = formatExplainTable([a, b]);
    assert.equal(two.split('\n\n').length, 2);
    assert.ok(two.includes('no categories'));
    const w = formatExplainTable(explainLabel(opts('label:type:container_t')));
    assert.match(w, /^Warnings\s+- label:type:container_t uses the deprecated/m);
  });
});
