import type { FieldError } from '@portcullis/contract/errors';
import type { ZodType } from 'zod';
import { ApiError, userMessage } from '../api/api-error';

export interface FormErrors<K extends string> {
  fields: Partial<Record<K, string>>;
  /** Problems that belong to no single field, shown at the top of the form. */
  form: string[];
}

export function noFormErrors<K extends string>(): FormErrors<K> {
  return { fields: {}, form: [] };
}

export function hasFormErrors<K extends string>(errors: FormErrors<K>): boolean {
  return errors.form.length > 0 || Object.keys(errors.fields).length > 0;
}

function fromIssues<K extends string>(
  issues: readonly FieldError[],
  fieldNames: readonly K[],
): FormErrors<K> {
  const errors = noFormErrors<K>();
  for (const issue of issues) {
    const field = fieldNames.find((name) => name === issue.path);
    if (field === undefined) errors.form.push(issue.message);
    // The first problem per field is the one to fix first; the rest would be noise.
    else errors.fields[field] ??= issue.message;
  }
  return errors;
}

export type Validation<T, K extends string> =
  { ok: true; data: T } | { ok: false; errors: FormErrors<K> };

/**
 * Runs the contract's own schema in the browser, so the user hears about a problem before a round
 * trip. It is a courtesy: the server runs the same schema and its answer is the one that counts.
 */
export function validateForm<T, K extends string>(
  schema: ZodType<T>,
  values: Record<K, string>,
): Validation<T, K> {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, data: result.data };
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  return { ok: false, errors: fromIssues(issues, Object.keys(values) as K[]) };
}

/** The server's verdict: its field errors next to the fields, anything else as a form message. */
export function formErrorsFromApi<K extends string>(
  error: unknown,
  fieldNames: readonly K[],
): FormErrors<K> {
  if (error instanceof ApiError && error.fields.length > 0) {
    return fromIssues(error.fields, fieldNames);
  }
  return { fields: {}, form: [userMessage(error)] };
}
