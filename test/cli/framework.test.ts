import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CommandSpec,
  type Options,
  type ProgramSpec,
  parsers,
  runProgram,
} from '../../src/cli/framework.js';
import { UserError } from '../../src/errors.js';

function program(calls: { args: string[]; opts: Options }[], out: string[]): ProgramSpec {
  const run = async (args: string[], opts: Options) => {
    calls.push({ args, opts });
    return 0;
  };
  const db: CommandSpec = {
    name: 'db',
    summary: 'database',
    subcommands: [
      {
        name: 'import',
        summary: 'import feeds',
        args: [{ name: 'path', description: 'p', required: true }],
        run,
      },
    ],
  };
  return {
    name: 'tool',
    version: '9.9',
    summary: 'a tool',
    globalOptions: [
      { name: 'debug', short: 'd', type: 'boolean', description: 'debug' },
      { name: 'help', short: 'h', type: 'boolean', description: 'help' },
      { name: 'version', short: 'v', type: 'boolean', description: 'version' },
    ],
    commands: [
      {
        name: 'scan',
        aliases: ['s'],
        summary: 'scan',
        args: [{ name: 'target', description: 't', required: true }],
        options: [
          {
            name: 'format',
            short: 'f',
            type: 'string',
            description: 'fmt',
            choices: ['table', 'json'],
            default: 'table',
          },
          { name: 'parallel', type: 'string', description: 'n', default: 2, parse: parsers.int(1, 8) },
          { name: 'timeout', type: 'string', description: 't', default: '30s', parse: parsers.duration },
          { name: 'no-cache', type: 'boolean', description: 'no cache' },
        ],
        run,
      },
      db,
    ],
    out: (s) => out.push(s),
  };
}

describe('runProgram', () => {
  it('parses commands, aliases, nested commands, defaults, parsers and global options anywhere', async () => {
    const calls: { args: string[]; opts: Options }[] = [];
    const out: string[] = [];
    const p = program(calls, out);
    assert.equal(await runProgram(p, ['-d', 's', 'img', '--parallel', '4', '--no-cache']), 0);
    assert.deepEqual(calls[0], {
      args: ['img'],
      opts: {
        debug: true,
        help: undefined,
        version: undefined,
        format: 'table',
        parallel: 4,
        timeout: 30_000, // a string default goes through the parser too
        noCache: true,
      },
    });
    assert.equal(
      await runProgram(p, ['db', 'import', 'feeds/', '-f']).catch((e: Error) => e.message),
      "unknown option '-f' (see: tool db import --help)",
    );
    assert.equal(await runProgram(p, ['db', 'import', 'feeds/']), 0);
    assert.deepEqual(calls[1]?.args, ['feeds/']);
  });
  it('usage errors are UserErrors naming the problem', async () => {
    const p = program([], []);
    const err = async (argv: string[]) => {
      try {
        await runProgram(p, argv);
        return 'no error';
      } catch (e) {
        assert.ok(e instanceof UserError);
        return e.message;
      }
    };
    assert.match(await err(['nope']), /unknown command "nope"/);
    assert.match(await err(['scan']), /missing target/);
    assert.match(await err(['scan', 'a', 'b']), /unexpected argument "b"/);
    assert.match(
      await err(['scan', 'a', '--format', 'xml']),
      /--format must be one of table, json \(got "xml"\)/,
    );
    assert.match(await err(['scan', 'a', '--parallel', '99']), /--parallel: expected an integer from 1 to 8/);
    assert.match(await err(['scan', 'a', '--format']), /needs a value|argument missing/);
  });
  it('prints help and version', async () => {
    const out: string[] = [];
    const p = program([], out);
    assert.equal(await runProgram(p, ['--version']), 0);
    assert.equal(out.pop(), '9.9\n');
    assert.equal(await runProgram(p, ['scan', '--help']), 0);
    assert.match(
      out.pop() ?? '',
      /Usage: tool scan \[options\] <target>[\s\S]*--format <value>\s+fmt \(table\|json\) \[default: table\]/,
    );
    assert.equal(await runProgram(p, ['help', 'db']), 0);
    assert.match(out.pop() ?? '', /Usage: tool db <command>[\s\S]*import\s+import feeds/);
    assert.equal(await runProgram(p, []), 2);
  });
  it('size and duration parsers', () => {
    assert.equal(parsers.size('10MB'), 10 * 1024 * 1024);
    assert.equal(parsers.size('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(parsers.duration('500ms'), 500);
    assert.equal(parsers.duration('2m'), 120_000);
    assert.throws(() => parsers.size('lots'));
  });
});
