import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import {
  MAX_SHELL_INPUT,
  shellQuote,
  splitShellCommands,
  splitShellWords,
  splitShellWordsRaw,
} from '../../../src/harden/inputs/shell-words.js';

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'),
  );
}

describe('splitShellWords', () => {
  it('splits on blanks and tabs, collapsing runs', () => {
    assert.deepEqual(splitShellWords('  docker\trun   -d  nginx '), ['docker', 'run', '-d', 'nginx']);
    assert.deepEqual(splitShellWords(''), []);
    assert.deepEqual(splitShellWords('   '), []);
  });

  it('single quotes keep everything literally, including backslashes and $', () => {
    assert.deepEqual(splitShellWords(`-e 'A=b c' '\\n$HOME' 'it''s'`), ['-e', 'A=b c', '\\n$HOME', 'its']);
  });

  it('double quotes: \\\\ \\" \\$ \\` are escapes, other backslashes stay', () => {
    assert.deepEqual(splitShellWords(String.raw`"a \"b\" \\ \$x \` \n"`), ['a "b" \\ $x ` \\n']);
    assert.deepEqual(splitShellWords('"two words" x'), ['two words', 'x']);
  });

  it('unquoted backslash escapes the next character', () => {
    assert.deepEqual(splitShellWords(String.raw`a\ b c\"d \'e`), ['a b', 'c"d', "'e"]);
  });

  it('backslash-newline continues the line, also inside double quotes and with CRLF', () => {
    assert.deepEqual(splitShellWords('docker run \\\n  -d \\\r\n  nginx'), ['docker', 'run', '-d', 'nginx']);
    assert.deepEqual(splitShellWords('ab\\\ncd'), ['abcd']);
    assert.deepEqual(splitShellWords('"ab\\\ncd"'), ['abcd']);
  });

  it('concatenates adjacent quoted and unquoted parts into one word', () => {
    assert.deepEqual(splitShellWords(`--name='my app'"-1"x`), ['--name=my app-1x']);
  });

  it('keeps empty quoted words', () => {
    assert.deepEqual(splitShellWords(`--entrypoint '' x ""`), ['--entrypoint', '', 'x', '']);
  });

  it('a # at the start of a word starts a comment; inside a word it is literal', () => {
    assert.deepEqual(splitShellWords('docker run nginx # the web server'), ['docker', 'run', 'nginx']);
    assert.deepEqual(splitShellWords('a#b "#c" \\#d'), ['a#b', '#c', '#d']);
    assert.deepEqual(splitShellWords('# only a comment'), []);
  });

  it('keeps $VAR, braced variables, $(...) and backquotes literally, even with spaces inside', () => {
    const braced = `X=$${'{'}HOME}`;
    assert.deepEqual(splitShellWords(`-v $(pwd):/app -e ${braced} \`id -u\` $USER`), [
      '-v',
      '$(pwd):/app',
      '-e',
      braced,
      '`id -u`',
      '$USER',
    ]);
    assert.deepEqual(splitShellWords('"$(echo "a b")"/x'), ['$(echo "a b")/x']);
    assert.deepEqual(splitShellWords('$(a $(b c) d)'), ['$(a $(b c) d)']);
  });

  it('refuses unterminated quotes and substitutions', () => {
    throwsUser(() => splitShellWords(`docker run 'oops`), /unterminated single quote/);
    throwsUser(() => splitShellWords('docker run "oops'), /unterminated double quote/);
    throwsUser(() => splitShellWords('x $(oops'), /unterminated "\$\(" substitution/);
    throwsUser(() => splitShellWords('x `oops'), /unterminated backquote/);
  });

  it('names the line of an unterminated quote', () => {
    throwsUser(() => splitShellWords(`a \\\nb \\\n'c`), /^line 3: unterminated single quote/);
  });

  it('refuses pipes, redirections, background jobs and subshells', () => {
    throwsUser(() => splitShellWords('docker run nginx | tee log'), /unquoted "\|"/);
    throwsUser(() => splitShellWords('docker run nginx > log'), /unquoted ">"/);
    throwsUser(() => splitShellWords('docker run nginx &'), /unquoted "&"/);
    throwsUser(() => splitShellWords('(docker run nginx)'), /unquoted "\("/);
    // quoted, they are plain characters
    assert.deepEqual(splitShellWords(`sh -c 'a | b > c &'`), ['sh', '-c', 'a | b > c &']);
  });

  it('refuses two commands where one is expected', () => {
    throwsUser(() => splitShellWords('docker pull x; docker run x'), /holds 2 commands/);
    throwsUser(() => splitShellWords('docker run a\ndocker run b'), /lines 1 and 2/);
    assert.deepEqual(splitShellWords('\n\ndocker run x\n\n'), ['docker', 'run', 'x']);
  });

  it('refuses input over the size cap without scanning it', () => {
    throwsUser(() => splitShellWords('a'.repeat(MAX_SHELL_INPUT + 1)), /more than 1048576 is refused/);
  });

  it('is linear on long hostile input', () => {
    const t = Date.now();
    assert.equal(splitShellWords(`'a'"b"\\c`.repeat(100_000)).length, 1);
    assert.equal(splitShellWords(`${'$('.repeat(150_000)}${')'.repeat(150_000)}`).length, 1);
    assert.equal(splitShellWords(`${'\\\n'.repeat(200_000)}x`).length, 1);
    assert.ok(Date.now() - t < 3000);
  });

  it('reports each word as written', () => {
    const w = splitShellWordsRaw(`-e 'A=b c' "$HOME"/x y\\ z`);
    assert.deepEqual(
      w.map((x) => [x.value, x.raw]),
      [
        ['-e', '-e'],
        ['A=b c', "'A=b c'"],
        ['$HOME/x', '"$HOME"/x'],
        ['y z', 'y\\ z'],
      ],
    );
  });
});

describe('splitShellCommands', () => {
  it('separates commands at newlines, ;, && and ||, with their lines', () => {
    const cmds = splitShellCommands(
      '#!/bin/sh\nset -e\ndocker pull x && docker run \\\n  -d x || true; echo ok\n',
    );
    assert.deepEqual(
      cmds.map((c) => [c.line, c.words.map((w) => w.value).join(' ')]),
      [
        [2, 'set -e'],
        [3, 'docker pull x'],
        [3, 'docker run -d x'],
        [4, 'true'],
        [4, 'echo ok'],
      ],
    );
  });
});

describe('shellQuote', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    assert.equal(shellQuote('nginx:1.25'), 'nginx:1.25');
    assert.equal(shellQuote('/run:rw,size=64m'), '/run:rw,size=64m');
    assert.equal(shellQuote('daemon off;'), `'daemon off;'`);
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
    assert.equal(shellQuote(''), `''`);
  });

  it('double-quotes words with substitutions so they still expand', () => {
    assert.equal(shellQuote('$(pwd):/app'), '"$(pwd):/app"');
    assert.equal(shellQuote('$HOME/"x"'), '"$HOME/\\"x\\""');
  });

  it('round-trips through splitShellWords', () => {
    for (const w of [
      'plain',
      'a b',
      `it's`,
      'tab\there',
      'new\nline',
      '#hash',
      '*glob?',
      '',
      'a\\b',
      '"q"',
      '!bang',
    ]) {
      assert.deepEqual(splitShellWords(shellQuote(w)), [w], JSON.stringify(w));
    }
  });
});
