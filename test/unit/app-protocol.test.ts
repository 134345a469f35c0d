import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { appPathOf, rendererFile, rendererResponse } from '../../main/shell/app-protocol';

const root = join(__dirname, '..', '..', 'out', 'renderer');

describe('the window\'s gatehouse:// protocol', () => {
  it('maps its pages and assets into the built renderer, and / to index.html', () => {
    assert.equal(rendererFile('/', root), join(root, 'index.html'));
    assert.equal(rendererFile('/assets/index.js', root), join(root, 'assets', 'index.js'));
  });

  it('refuses every way out of the renderer folder', () => {
    for (const path of ['/../package.json', '/..%2f..%2fpackage.json', '/assets/..%2F..%2F..%2Fetc/passwd', '/%2e%2e/%2e%2e/x', '/a\\..\\..\\x', '/x%00.html', '/%E0%A4%A', 'relative.html', '/..']) {
      assert.equal(rendererFile(path, root), null, path);
    }
  });

  it('answers only gatehouse://app/, with the window\'s CSP on every answer', async () => {
    assert.equal(appPathOf('gatehouse://app/index.html'), '/index.html');
    for (const url of ['gatehouse://other/index.html', 'file:///etc/passwd', 'https://app/index.html', 'not a url']) assert.equal(appPathOf(url), null, url);
    const refused = await rendererResponse(null, root);
    assert.equal(refused.status, 400);
    assert.match(refused.headers['content-security-policy'] ?? '', /default-src 'self'/);
    const missing = await rendererResponse('/nothing-here.js', root);
    assert.equal(missing.status, 404);
  });
});
