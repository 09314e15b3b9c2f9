/**
 * Every `import … from 'zod'` in the browser build resolves to this module (see the alias in
 * vite.config.ts), so the configuration below runs after zod itself has loaded and before any
 * module that imports zod builds a schema, whichever chunk the bundler puts either in.
 *
 * Zod compiles object parsers with `new Function` when it may, and decides when a schema is built.
 * Under our CSP (`script-src 'self'`, no 'unsafe-eval') its probe for that is refused and reported
 * as a violation even though Zod catches the error, so eval is switched off first. Importing this
 * module first from main.tsx was not enough: once the contract's schemas landed in a chunk shared
 * with lazy screens, that chunk ran before the entry's first line.
 */
import { config } from 'zod/v4';

config({ jitless: true });

export * from 'zod/v4';
