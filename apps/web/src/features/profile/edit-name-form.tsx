import { updateProfileBodySchema } from '@portcullis/contract/profile';
import { useId, useState, type SubmitEvent } from 'react';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { StatusMessage } from '../../components/status-message';
import { TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { useAuth, useCurrentUser } from '../auth/auth-context';
import { updateProfileRequest } from './profile-api';

type Field = 'name';
const fieldNames: readonly Field[] = ['name'];

export function EditNameForm() {
  const user = useCurrentUser();
  const { setUser } = useAuth();
  const idPrefix = useId();
  const headingId = `${idPrefix}heading`;
  const fields = { name: { id: `${idPrefix}name`, label: 'Name' } };

  const [name, setName] = useState(user.name);
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  const [status, setStatus] = useState('');

  const submit = async () => {
    setStatus('');
    const validation = validateForm(updateProfileBodySchema, { name });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      const updated = await updateProfileRequest(validation.data);
      setUser(updated);
      setName(updated.name);
      clear();
      setStatus('Your name has been saved.');
    } catch (error) {
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
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Your name</h2>
      <form className="form" noValidate onSubmit={handleSubmit} aria-labelledby={headingId}>
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.name.id}
          label={fields.name.label}
          autoComplete="name"
          value={name}
          onChange={setName}
          error={errors.fields.name}
        />
        <div className="button-row">
          <ActionButton type="submit" className="button" unavailable={submitting}>
            {submitting ? 'Saving…' : 'Save name'}
          </ActionButton>
        </div>
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
