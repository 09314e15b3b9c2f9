import { z } from 'zod';

/** Ordered from least to most privileged. */
export const roles = ['guest', 'user', 'admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;
