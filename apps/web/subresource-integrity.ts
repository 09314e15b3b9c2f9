import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

/**
 * Subresource Integrity (W3C SRI, ASVS 14.2.3) for every script, stylesheet and module preload
 * that the built index.html names: the browser refuses a file whose SHA-384 differs from the one
 * in the page, so a file changed on the way (a compromised cache, CDN or proxy in front of the
 * server) or on the disk after the build never runs. Hashes are taken from the files as written
 * to disk, after every other plugin is done with them, so they match what the server sends.
 *
 * Chunks loaded later by dynamic import (lazy screens) are not in index.html and carry no
 * integrity: the browser offers no attribute for them without an inline import map, which the
 * CSP forbids.
 */

/** A tag that loads code or styles: `<script src>`, `<link rel=stylesheet|modulepreload>`. */
const tagPattern = /<(script|link)\b[^>]*>/gi;

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return match === null ? undefined : (match[1] ?? match[2] ?? match[3]);
}

function hasAttribute(tag: string, name: string): boolean {
  return new RegExp(`\\s${name}(\\s|=|>|/)`, 'i').test(tag);
}

export function sriHash(content: Uint8Array): string {
  return `sha384-${createHash('sha384').update(content).digest('base64')}`;
}

/**
 * Adds `integrity` (and `crossorigin` where missing, so the check also holds if the files ever
 * move to another origin) to each loading tag. `read` returns a file's bytes by its URL path;
 * a tag naming a file that does not exist fails the build rather than ship unprotected.
 */
export function addIntegrity(html: string, read: (urlPath: string) => Uint8Array): string {
  return html.replace(tagPattern, (tag, name: string) => {
    const isScript = name.toLowerCase() === 'script';
    const rel = (attribute(tag, 'rel') ?? '').toLowerCase();
    if (!isScript && rel !== 'stylesheet' && rel !== 'modulepreload') return tag;
    const url = attribute(tag, isScript ? 'src' : 'href');
    if (url === undefined || hasAttribute(tag, 'integrity')) return tag;
    if (!url.startsWith('/') || url.startsWith('//')) {
      throw new Error(`subresource integrity: ${url} is not a file of this build`);
    }
    const extra = [
      `integrity="${sriHash(read(url))}"`,
      ...(hasAttribute(tag, 'crossorigin') ? [] : ['crossorigin']),
    ].join(' ');
    return tag.replace(/\s*\/?>$/, (end) => ` ${extra}${end}`);
  });
}

export function subresourceIntegrity(): Plugin {
  return {
    name: 'portcullis:subresource-integrity',
    apply: 'build',
    enforce: 'post',
    writeBundle(options, bundle) {
      const outDir = options.dir ?? '';
      for (const fileName of Object.keys(bundle)) {
        if (!fileName.endsWith('.html')) continue;
        const htmlPath = path.join(outDir, fileName);
        const html = readFileSync(htmlPath, 'utf8');
        const withIntegrity = addIntegrity(html, (urlPath) =>
          readFileSync(path.join(outDir, decodeURIComponent(urlPath.split(/[?#]/, 1)[0] ?? ''))),
        );
        writeFileSync(htmlPath, withIntegrity);
      }
    },
  };
}
