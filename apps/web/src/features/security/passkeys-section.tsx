import { passkeyNameSchema, type PasskeyView } from '@portcullis/contract/second-factors';
import { z } from 'zod';
import { useId, useRef, useState, type SubmitEvent } from 'react';
import { ActionButton } from '../../components/action-button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { TextField } from '../../components/text-field';
import { failureMessage } from '../../lib/failure-message';
import { lastFactorMessage } from './last-factor-message';
import { formatDateTime } from '../../lib/format-date';
import { validateForm } from '../../lib/form-errors';
import {
  passkeyRegistrationOptionsRequest,
  registerPasskeyRequest,
  removePasskeyRequest,
  renamePasskeyRequest,
} from './second-factors-api';

const nameFormSchema = z.object({ name: passkeyNameSchema });

interface PasskeysSectionProps {
  passkeys: readonly PasskeyView[];
  /** A passkey was added, renamed or removed; recovery codes come with a first factor. */
  onChanged: (message: string, recoveryCodes?: string[] | null) => void;
}

function RenameForm({
  passkey,
  onRenamed,
  onCancel,
}: {
  passkey: PasskeyView;
  onRenamed: (name: string) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [name, setName] = useState(passkey.name);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const submit = async () => {
    const validation = validateForm(nameFormSchema, { name });
    if (!validation.ok) {
      setError(validation.errors.fields.name ?? validation.errors.form[0]);
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await renamePasskeyRequest(passkey.id, validation.data.name);
      onRenamed(validation.data.name);
    } catch (caught) {
      setError(failureMessage(caught));
      setBusy(false);
      inputRef.current?.focus();
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!busy) void submit();
  };

  return (
    <form className="form" noValidate onSubmit={handleSubmit} aria-label={`Rename ${passkey.name}`}>
      <TextField
        id={`${id}name`}
        inputRef={inputRef}
        label="New name"
        autoComplete="off"
        value={name}
        onChange={setName}
        error={error}
      />
      <div className="button-row button-row--compact">
        <ActionButton type="submit" className="button button--small" unavailable={busy}>
          {busy ? 'Saving…' : 'Save name'}
        </ActionButton>
        <ActionButton
          className="button button--secondary button--small"
          unavailable={busy}
          onClick={onCancel}
        >
          Cancel
        </ActionButton>
      </div>
    </form>
  );
}

/**
 * Passkeys (WebAuthn): sign in without a password, or as the second step after it. Each is named
 * by its owner, so one lost with a device can be told apart and removed.
 */
export function PasskeysSection({ passkeys, onChanged }: PasskeysSectionProps) {
  const idPrefix = useId();
  const nameId = `${idPrefix}new-name`;
  const nameRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [adding, setAdding] = useState(false);
  const [addError, setAddError] = useState<string | undefined>();
  const [renamingId, setRenamingId] = useState<string | undefined>();
  const [removing, setRemoving] = useState<PasskeyView | undefined>();
  const [removeBusy, setRemoveBusy] = useState(false);
  const [removeError, setRemoveError] = useState<string | undefined>();

  const add = async () => {
    const validation = validateForm(nameFormSchema, { name });
    if (!validation.ok) {
      setNameError(validation.errors.fields.name ?? validation.errors.form[0]);
      nameRef.current?.focus();
      return;
    }
    setNameError(undefined);
    setAddError(undefined);
    setAdding(true);
    try {
      const { createPasskey, isPasskeyAborted } = await import('../../lib/webauthn');
      try {
        const options = await passkeyRegistrationOptionsRequest();
        const response = await createPasskey(options);
        const registered = await registerPasskeyRequest({ name: validation.data.name, response });
        setName('');
        onChanged(`Passkey “${registered.passkey.name}” added.`, registered.recoveryCodes);
      } catch (error) {
        if (!isPasskeyAborted(error)) setAddError(failureMessage(error));
      }
    } catch (error) {
      setAddError(failureMessage(error));
    }
    setAdding(false);
  };

  const remove = async (passkey: PasskeyView) => {
    setRemoveBusy(true);
    setRemoveError(undefined);
    try {
      await removePasskeyRequest(passkey.id);
    } catch (error) {
      setRemoveError(lastFactorMessage(error));
      setRemoveBusy(false);
      return;
    }
    setRemoveBusy(false);
    setRemoving(undefined);
    onChanged(`Passkey “${passkey.name}” removed.`);
    // The item that had focus is gone with its passkey.
    headingRef.current?.focus();
  };

  const handleAdd = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!adding) void add();
  };

  return (
    <div className="factor" role="group" aria-labelledby={`${idPrefix}heading`}>
      <h3 id={`${idPrefix}heading`} ref={headingRef} tabIndex={-1} className="subsection-title">
        Passkeys
      </h3>
      <p>
        A passkey signs you in with your device’s screen lock or a security key: nothing to type,
        and it only works on this site, so it cannot be phished.
      </p>
      {passkeys.length === 0 ? (
        <p className="empty">No passkeys yet.</p>
      ) : (
        <ul className="passkey-list">
          {passkeys.map((passkey) => (
            <li key={passkey.id} className="passkey" aria-label={passkey.name}>
              {renamingId === passkey.id ? (
                <RenameForm
                  passkey={passkey}
                  onCancel={() => {
                    setRenamingId(undefined);
                  }}
                  onRenamed={(newName) => {
                    setRenamingId(undefined);
                    onChanged(`Passkey renamed to “${newName}”.`);
                  }}
                />
              ) : (
                <>
                  <div className="session-head">
                    <h4 className="session-device">{passkey.name}</h4>
                    {passkey.backedUp && <span className="badge">Synced</span>}
                  </div>
                  <dl className="meta-list">
                    <div>
                      <dt>Added</dt>
                      <dd>
                        <time dateTime={passkey.createdAt}>
                          {formatDateTime(passkey.createdAt)}
                        </time>
                      </dd>
                    </div>
                    <div>
                      <dt>Last used</dt>
                      <dd>
                        {passkey.lastUsedAt === null ? (
                          'Never'
                        ) : (
                          <time dateTime={passkey.lastUsedAt}>
                            {formatDateTime(passkey.lastUsedAt)}
                          </time>
                        )}
                      </dd>
                    </div>
                  </dl>
                  <div className="button-row button-row--compact">
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      onClick={() => {
                        setRenamingId(passkey.id);
                      }}
                    >
                      Rename<span className="visually-hidden"> {passkey.name}</span>
                    </button>
                    <button
                      type="button"
                      className="button button--danger-outline button--small"
                      onClick={() => {
                        setRemoveError(undefined);
                        setRemoving(passkey);
                      }}
                    >
                      Remove<span className="visually-hidden"> {passkey.name}</span>
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="form" noValidate onSubmit={handleAdd} aria-label="Add a passkey">
        <TextField
          id={nameId}
          inputRef={nameRef}
          label="Name for a new passkey"
          hint="So you can tell your passkeys apart, such as “Work laptop” or “Blue security key”."
          autoComplete="off"
          value={name}
          onChange={setName}
          error={nameError}
        />
        {addError !== undefined && (
          <p role="alert" className="alert alert--error">
            {addError}
          </p>
        )}
        <div className="button-row">
          <ActionButton type="submit" className="button button--secondary" unavailable={adding}>
            {adding ? 'Waiting for your passkey…' : 'Add a passkey'}
          </ActionButton>
        </div>
      </form>
      <ConfirmDialog
        open={removing !== undefined}
        title="Remove this passkey?"
        confirmLabel="Remove passkey"
        busyLabel="Removing…"
        busy={removeBusy}
        error={removeError}
        onConfirm={() => {
          if (removing !== undefined && !removeBusy) void remove(removing);
        }}
        onCancel={() => {
          setRemoving(undefined);
        }}
      >
        <p>
          “{removing?.name}” will no longer sign you in. Remove it from the device or password
          manager too.
        </p>
      </ConfirmDialog>
    </div>
  );
}
