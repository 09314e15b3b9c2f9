import { createNoteBodySchema, type Note } from '@portcullis/contract/notes';
import { useEffect, useRef, useState } from 'react';
import { ApiError, userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Page } from '../../components/page';
import { ErrorAlert, LoadFailed, Loading, StatusMessage } from '../../components/status-message';
import { useCursorList, useFocusAfterLoadMore } from '../../lib/use-cursor-list';
import { useCurrentUser } from '../auth/auth-context';
import { canWriteNotes } from '../auth/permissions';
import { NoteForm } from './note-form';
import { NoteItem, noteElementIdPrefix } from './note-item';
import {
  createNoteRequest,
  deleteNoteRequest,
  listNotesPage,
  updateNoteRequest,
} from './notes-api';

export function NotesPage() {
  const user = useCurrentUser();
  const canWrite = canWriteNotes(user.role);
  const notes = useCursorList(listNotesPage);
  const [status, setStatus] = useState('');
  const [editingId, setEditingId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Note | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | undefined>();
  const [focusListAfterDelete, setFocusListAfterDelete] = useState(false);
  const listHeadingRef = useRef<HTMLHeadingElement>(null);
  const readOnlyNoticeRef = useRef<HTMLParagraphElement>(null);
  const couldWrite = useRef(canWrite);
  useFocusAfterLoadMore(notes.loadedMore, noteElementIdPrefix, listHeadingRef);

  useEffect(() => {
    // The role can drop while the page is open (an admin made this user a guest). The server
    // already refuses writes; say so, and move focus off the form that just disappeared.
    if (couldWrite.current && !canWrite) {
      setEditingId(null);
      setStatus('Your role changed: you can read notes but no longer write them.');
      readOnlyNoticeRef.current?.focus();
    }
    couldWrite.current = canWrite;
  }, [canWrite]);

  useEffect(() => {
    if (focusListAfterDelete && deleting === null) {
      listHeadingRef.current?.focus();
      setFocusListAfterDelete(false);
    }
  }, [focusListAfterDelete, deleting]);

  const closeDeleteDialog = () => {
    if (deleteBusy) return;
    setDeleting(null);
    setDeleteError(undefined);
  };

  const confirmDelete = async () => {
    if (deleting === null) return;
    setDeleteBusy(true);
    setDeleteError(undefined);
    try {
      await deleteNoteRequest(deleting.id);
    } catch (error) {
      // Already gone (deleted in another tab) is the outcome the user asked for.
      if (!(error instanceof ApiError && error.code === 'not_found')) {
        setDeleteError(userMessage(error));
        setDeleteBusy(false);
        return;
      }
    }
    notes.remove(deleting.id);
    setStatus(`Note “${deleting.title}” deleted.`);
    setDeleteBusy(false);
    setDeleting(null);
    setFocusListAfterDelete(true);
  };

  return (
    <Page title="Notes">
      <StatusMessage message={status} />
      <div className="notes-layout">
        {canWrite ? (
          <section className="panel" aria-labelledby="new-note-heading">
            <h2 id="new-note-heading">New note</h2>
            <NoteForm
              idPrefix="new-note"
              labelledBy="new-note-heading"
              schema={createNoteBodySchema}
              initial={{ title: '', body: '' }}
              submitLabel="Add note"
              busyLabel="Adding…"
              resetOnSuccess
              onSubmit={async (body) => {
                setStatus('');
                const note = await createNoteRequest(body);
                notes.prepend(note);
                setStatus(`Note “${note.title}” added.`);
              }}
            />
          </section>
        ) : (
          <p ref={readOnlyNoticeRef} tabIndex={-1} className="notice" data-testid="notes-read-only">
            Your role is guest: you can read notes but not write them.
          </p>
        )}

        <section aria-labelledby="notes-list-heading">
          <h2 id="notes-list-heading" ref={listHeadingRef} tabIndex={-1}>
            Your notes
          </h2>
          {notes.status === 'loading' && <Loading label="Loading notes…" />}
          {notes.status === 'error' && <LoadFailed error={notes.error} onRetry={notes.retry} />}
          {notes.status === 'ready' && notes.items.length === 0 && (
            <p className="empty">No notes yet.</p>
          )}
          {notes.items.length > 0 && (
            <ul className="note-list">
              {notes.items.map((note) => (
                <NoteItem
                  key={note.id}
                  note={note}
                  canWrite={canWrite}
                  editing={editingId === note.id}
                  onEdit={() => {
                    setStatus('');
                    setEditingId(note.id);
                  }}
                  onCancelEdit={() => {
                    setEditingId(null);
                  }}
                  onSave={async (body) => {
                    setStatus('');
                    const updated = await updateNoteRequest(note.id, body);
                    notes.replace(updated);
                    setEditingId(null);
                    setStatus(`Note “${updated.title}” saved.`);
                  }}
                  onDelete={() => {
                    setStatus('');
                    setDeleting(note);
                  }}
                />
              ))}
            </ul>
          )}
          {notes.moreError !== undefined && <ErrorAlert message={userMessage(notes.moreError)} />}
          {notes.nextCursor !== null && (
            <div className="button-row">
              <ActionButton
                className="button button--secondary"
                onClick={notes.loadMore}
                unavailable={notes.loadingMore}
              >
                {notes.loadingMore ? 'Loading…' : 'Load more notes'}
              </ActionButton>
            </div>
          )}
        </section>
      </div>

      <ConfirmDialog
        open={deleting !== null}
        title="Delete this note?"
        confirmLabel="Delete note"
        busy={deleteBusy}
        error={deleteError}
        onConfirm={() => {
          void confirmDelete();
        }}
        onCancel={closeDeleteDialog}
      >
        <p>
          “<span className="dialog-note-title">{deleting?.title}</span>” will be deleted. This
          cannot be undone.
        </p>
      </ConfirmDialog>
    </Page>
  );
}
