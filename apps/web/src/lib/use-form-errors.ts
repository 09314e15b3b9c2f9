import { useCallback, useState } from 'react';
import { noFormErrors, type FormErrors } from './form-errors';

export interface FormErrorsState<K extends string> {
  errors: FormErrors<K>;
  /**
   * Counts failed submissions. The error summary takes focus again on each one, even when the
   * errors are the same as last time.
   */
  attempt: number;
  /** Shows these errors as a new failed attempt. */
  fail: (errors: FormErrors<K>) => void;
  /** Clears the errors without counting an attempt (after a success). */
  clear: () => void;
}

/** The errors a form shows, and the count of failed attempts its error summary listens to. */
export function useFormErrors<K extends string>(): FormErrorsState<K> {
  const [errors, setErrors] = useState<FormErrors<K>>(noFormErrors);
  const [attempt, setAttempt] = useState(0);
  const fail = useCallback((next: FormErrors<K>) => {
    setErrors(next);
    setAttempt((value) => value + 1);
  }, []);
  const clear = useCallback(() => {
    setErrors(noFormErrors());
  }, []);
  return { errors, attempt, fail, clear };
}
