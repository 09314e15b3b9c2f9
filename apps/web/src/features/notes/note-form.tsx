import { NOTE_BODY_MAX, NOTE_TITLE_MAX } from '@portcullis/contract/notes';
import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import type { ZodType } from 'zod';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { TextAreaField, TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';

type Field = 'title' | 'body';
const fieldNames: readonly Field[] = ['title', 'body'];

interface NoteFormProps<B> {
  idPrefix: string;
  /** The heading that names this form. */
  labelledBy: string;
  schema: ZodType<B>;
  initial: { title: string; body: string };
  submitLabel: string;
  busyLabel: string;
  /** Throws on failure; the error is shown in the form. */
  onSubmit: (body: B) => Promise<void>;
  onCancel?: () => void;
  focusOnMount?: boolean;
  resetOnSuccess?: boolean;
}

export function NoteForm<B>(props: NoteFormProps<B>) {
  const fields = {
    title: { id: `${props.idPrefix}-title`, label: 'Title' },
    body: { id: `${props.idPrefix}-body`, label: 'Body' },
  };
  const [title, setTitle] = useState(props.initial.title);
  const [body, setBody] = useState(props.initial.body);
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const { focusOnMount = false } = props;

  useEffect(() => {
    if (focusOnMount) formRef.current?.querySelector('input')?.focus();
  }, [focusOnMount]);

  const submit = async () => {
    const validation = validateForm(props.schema, { title, body });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      await props.onSubmit(validation.data);
      clear();
      if (props.resetOnSuccess === true) {
        setTitle('');
        setBody('');
      }
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
    <form
      ref={formRef}
      className="form"
      noValidate
      onSubmit={handleSubmit}
      aria-labelledby={props.labelledBy}
    >
      <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
      <TextField
        id={fields.title.id}
        label={fields.title.label}
        autoComplete="off"
        value={title}
        onChange={setTitle}
        error={errors.fields.title}
        hint={`Up to ${NOTE_TITLE_MAX} characters.`}
      />
      <TextAreaField
        id={fields.body.id}
        label={fields.body.label}
        value={body}
        onChange={setBody}
        error={errors.fields.body}
        optional
        hint={`Plain text, up to ${NOTE_BODY_MAX.toLocaleString('en')} characters.`}
      />
      <div className="button-row">
        <ActionButton type="submit" className="button" unavailable={submitting}>
          {submitting ? props.busyLabel : props.submitLabel}
        </ActionButton>
        {props.onCancel !== undefined && (
          <ActionButton
            className="button button--secondary"
            onClick={props.onCancel}
            unavailable={submitting}
          >
            Cancel
          </ActionButton>
        )}
      </div>
    </form>
  );
}
