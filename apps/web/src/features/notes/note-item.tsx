import { updateNoteBodySchema, type Note, type UpdateNoteBody } from '@portcullis/contract/notes';
import { useEffect, useRef } from 'react';
import { formatDateTime } from '../../lib/format-date';
import { NoteForm } from './note-form';

interface NoteItemProps {
  note: Note;
  canWrite: boolean;
  editing: boolean;
  onEdit: () => void;
  onCancelEdit: () => void;
  onSave: (body: UpdateNoteBody) => Promise<void>;
  onDelete: () => void;
}

export const noteElementIdPrefix = 'note-';

/**
 * One note. Title and body are user content and are only ever rendered as React text children,
 * which the DOM receives as text nodes: `<img src=x onerror=...>` shows as those characters.
 */
export function NoteItem({ note, canWrite, editing, ...actions }: NoteItemProps) {
  const titleId = `note-${note.id}-title`;
  const editHeadingId = `note-${note.id}-edit-heading`;
  const editButtonRef = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(editing);

  useEffect(() => {
    // Back from the edit form (saved or cancelled): return focus to where the user started.
    if (wasEditing.current && !editing) editButtonRef.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  if (editing && canWrite) {
    return (
      <li className="note note--editing">
        <h3 id={editHeadingId} className="note-edit-heading">
          Edit note
        </h3>
        <NoteForm
          idPrefix={`note-${note.id}-edit`}
          labelledBy={editHeadingId}
          schema={updateNoteBodySchema}
          initial={{ title: note.title, body: note.body }}
          submitLabel="Save changes"
          busyLabel="Saving…"
          onSubmit={actions.onSave}
          onCancel={actions.onCancelEdit}
          focusOnMount
        />
      </li>
    );
  }

  const edited = note.updatedAt !== note.createdAt;
  return (
    <li className="note">
      {/* Focusable by script: "load more" moves focus to the first note it added. */}
      <article id={`${noteElementIdPrefix}${note.id}`} tabIndex={-1} aria-labelledby={titleId}>
        <h3 id={titleId} className="note-title">
          {note.title}
        </h3>
        {note.body !== '' && <p className="note-body">{note.body}</p>}
        <p className="note-meta">
          {edited ? 'Edited ' : 'Created '}
          <time dateTime={edited ? note.updatedAt : note.createdAt}>
            {formatDateTime(edited ? note.updatedAt : note.createdAt)}
          </time>
        </p>
        {canWrite && (
          <div className="button-row button-row--compact">
            <button
              ref={editButtonRef}
              type="button"
              className="button button--secondary button--small"
              onClick={actions.onEdit}
            >
              Edit<span className="visually-hidden"> note “{note.title}”</span>
            </button>
            <button
              type="button"
              className="button button--danger-outline button--small"
              onClick={actions.onDelete}
            >
              Delete<span className="visually-hidden"> note “{note.title}”</span>
            </button>
          </div>
        )}
      </article>
    </li>
  );
}
