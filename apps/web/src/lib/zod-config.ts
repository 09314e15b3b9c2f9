import { z } from 'zod';

/**
 * Zod compiles object parsers with `new Function` when it may. Under our CSP (`script-src 'self'`,
 * no 'unsafe-eval') its probe for that is refused and reported as a violation even though Zod
 * catches the error, so eval is switched off before any schema exists. Schemas decide when they
 * are built, which is why main.tsx imports this module before everything else.
 */
z.config({ jitless: true });
