import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clientSnippets } from '../../preload/snippets';

/** The README is what a newcomer copies from: its commands and snippets must be the working ones. */
const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

const section = (heading: string) => {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has no "## ${heading}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
};
/** The code blocks of a piece of Markdown, by language, with the list indentation taken off. */
const blocks = (markdown: string, language: string) =>
  [...markdown.matchAll(new RegExp(`^( *)\`\`\`${language}\\n([\\s\\S]*?)^\\1\`\`\``, 'gm'))].map(([, indent, body]) =>
    body!.split('\n').map((line) => line.slice(indent!.length)).join('\n').trimEnd(),
  );

describe('the README', () => {
  it('runs its quick start as written on a fresh clone: npm scripts that exist, no bare gatehouse before npm link', () => {
    const commands = blocks(section('Quick start'), 'sh').flatMap((b) => b.split('\n')).filter((l) => l.trim() && !l.trim().startsWith('#'));
    assert.ok(commands.length >= 3, commands.join('\n'));
    for (const line of commands.filter((l) => /^\s*(npm|gatehouse)\b/.test(l))) {
      assert.doesNotMatch(line, /^\s*gatehouse\b/, `"${line}" needs npm link first; use npm run -s gatehouse --`);
      const script = /^\s*npm run (?:-s )?([\w:-]+)/.exec(line)?.[1];
      if (script) assert.ok(scripts[script], `"${line}": package.json has no script ${script}`);
      if (/npm run (?!-s)[\w:-]+ --.*>/.test(line)) assert.fail(`"${line}" redirects npm's banner into the file: use npm run -s`);
    }
  });

  it('gives the same Python snippet as the Share page', () => {
    const share = clientSnippets({ endpoint: 'https://192.168.1.20:11443', token: 'gth_…', model: 'llama3.2', localCa: true }).find((s) => s.client === 'ollama (Python)')!;
    assert.ok(blocks(section('Quick start'), 'python').includes(share.code), `the README's Python snippet differs from Share's:\n${share.code}`);
    assert.match(section('Quick start'), /verify='gatehouse-ca\.crt'/);
    assert.doesNotMatch(readme, /SSL_CERT_FILE=gatehouse-ca\.crt python/);
  });

  it('states the one default token expiry the code uses', async () => {
    const { DEFAULT_TOKEN_EXPIRY } = await import('../../preload/rules');
    assert.equal(DEFAULT_TOKEN_EXPIRY, '90d');
    assert.match(readme, /A new token works for 90 days unless you choose otherwise/);
  });
});
