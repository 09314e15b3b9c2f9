import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addIntegrity } from '../subresource-integrity';

/** The build's SRI step (subresource-integrity.ts) on a page shaped like Vite's output. */

const files: Record<string, string> = {
  '/assets/index-abc.js': 'console.log("entry");',
  '/assets/page-def.js': 'export const page = 1;',
  '/assets/index-123.css': 'body { margin: 0; }',
};

const read = (urlPath: string): Uint8Array => {
  const content = files[urlPath];
  if (content === undefined) throw new Error(`no such file ${urlPath}`);
  return new TextEncoder().encode(content);
};

const sha384 = (text: string) => `sha384-${createHash('sha384').update(text).digest('base64')}`;

describe('addIntegrity', () => {
  it('adds the SHA-384 of each script, module preload and stylesheet, and nothing to other links', () => {
    const html = [
      '<link rel="icon" href="/favicon.svg" type="image/svg+xml" />',
      '<script type="module" crossorigin src="/assets/index-abc.js"></script>',
      '<link rel="modulepreload" crossorigin href="/assets/page-def.js">',
      '<link rel="stylesheet" href="/assets/index-123.css">',
    ].join('\n');
    expect(addIntegrity(html, read).split('\n')).toEqual([
      '<link rel="icon" href="/favicon.svg" type="image/svg+xml" />',
      `<script type="module" crossorigin src="/assets/index-abc.js" integrity="${sha384(files['/assets/index-abc.js'] ?? '')}"></script>`,
      `<link rel="modulepreload" crossorigin href="/assets/page-def.js" integrity="${sha384(files['/assets/page-def.js'] ?? '')}">`,
      `<link rel="stylesheet" href="/assets/index-123.css" integrity="${sha384(files['/assets/index-123.css'] ?? '')}" crossorigin>`,
    ]);
  });

  it('fails the build for a file that is not part of it, rather than ship it unprotected', () => {
    expect(() => addIntegrity('<script src="https://cdn.example/x.js"></script>', read)).toThrow(
      /not a file of this build/,
    );
    expect(() => addIntegrity('<script src="/assets/missing.js"></script>', read)).toThrow(
      /no such file/,
    );
  });
});
