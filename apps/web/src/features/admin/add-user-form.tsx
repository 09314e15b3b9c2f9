import { createUserBodySchema } from '@portcullis/contract/admin';
import { PASSWORD_MIN_LENGTH_DEFAULT } from '@portcullis/contract/password-policy';
import { roles, type Role } from '@portcullis/contract/roles';
import { useId, useRef, useState, type SubmitEvent } from 'react';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { roleLabels } from '../auth/permissions';
import { createUserRequest } from './admin-api';

type Field = 'email' | 'name' | 'role' | 'password';
const fieldNames: readonly Field[] = ['email', 'name', 'role', 'password'];

const createUserSchema = createUserBodySchema();

interface AddUserFormProps {
  onCreated: (message: string) => void;
}

/**
 * Behind a disclosure, so the list stays the first thing on the screen. Without a password the
 * account is an invitation: the person chooses their own password from the mailed link, so no
 * admin ever knows it. With one, they still confirm their address by mail before signing in.
 */
export function AddUserForm({ onCreated }: AddUserFormProps) {
  const idPrefix = useId();
  const fields = {
    email: { id: `${idPrefix}email`, label: 'Email' },
    name: { id: `${idPrefix}name`, label: 'Name' },
    role: { id: `${idPrefix}role`, label: 'Role' },
    password: { id: `${idPrefix}password`, label: 'Password' },
  };
  const detailsRef = useRef<HTMLDetailsElement>(null);
  const summaryRef = useRef<HTMLElement>(null);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [password, setPassword] = useState('');
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);

  const submit = async () => {
    const values = { email, name, role };
    // An empty password means "invite": it is left out, not sent as a too-short password.
    const validation =
      password === ''
        ? validateForm(createUserSchema, values)
        : validateForm(createUserSchema, { ...values, password });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      const user = await createUserRequest(validation.data);
      onCreated(
        validation.data.password === undefined
          ? `${user.email} was invited: an invitation to set a password was mailed to them.`
          : `${user.email} was added: they must confirm their address from the mail we sent.`,
      );
      setEmail('');
      setName('');
      setRole('user');
      setPassword('');
      clear();
      if (detailsRef.current !== null) detailsRef.current.open = false;
      summaryRef.current?.focus();
    } catch (error) {
      setPassword('');
      fail(formErrorsFromApi(error, fieldNames));
    } finally {
      setSubmitting(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!submitting) void submit();
  };

  return (
    <details ref={detailsRef} className="add-user">
      <summary ref={summaryRef} className="button button--small">
        Add user
      </summary>
      <form className="form" noValidate onSubmit={handleSubmit} aria-label="Add user">
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.email.id}
          label={fields.email.label}
          type="email"
          autoComplete="off"
          value={email}
          onChange={setEmail}
          error={errors.fields.email}
        />
        <TextField
          id={fields.name.id}
          label={fields.name.label}
          autoComplete="off"
          value={name}
          onChange={setName}
          error={errors.fields.name}
        />
        <div className={errors.fields.role === undefined ? 'field' : 'field field--error'}>
          <label className="field-label" htmlFor={fields.role.id}>
            {fields.role.label}
          </label>
          {errors.fields.role !== undefined && <p className="field-error">{errors.fields.role}</p>}
          <select
            id={fields.role.id}
            className="input select"
            value={role}
            onChange={(event) => {
              const next = roles.find((candidate) => candidate === event.target.value);
              if (next !== undefined) setRole(next);
            }}
          >
            {roles.map((candidate) => (
              <option key={candidate} value={candidate}>
                {roleLabels[candidate]}
              </option>
            ))}
          </select>
        </div>
        <TextField
          id={fields.password.id}
          label={fields.password.label}
          type="password"
          autoComplete="new-password"
          optional
          value={password}
          onChange={setPassword}
          error={errors.fields.password}
          hint={
            password === ''
              ? 'Leave empty and an invitation will be mailed: they choose their own password.'
              : `At least ${PASSWORD_MIN_LENGTH_DEFAULT} characters. Share it with them safely.`
          }
        />
        <div className="button-row">
          <ActionButton type="submit" className="button" unavailable={submitting}>
            {submitting ? 'Adding…' : password === '' ? 'Add and send invitation' : 'Add user'}
          </ActionButton>
        </div>
      </form>
    </details>
  );
}
