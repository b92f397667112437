import { useEffect, useId, useRef, useState, type InputHTMLAttributes, type ReactNode } from 'react';

/** An error or notice announced to screen readers. */
export function Alert({ kind = 'error', children }: { kind?: 'error' | 'success' | 'info'; children: ReactNode }) {
  if (!children) return null;
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A labelled input whose API errors sit right under it and are tied to it with aria-describedby. */
export function Field({
  label,
  errors,
  hint,
  multiline,
  ...input
}: { label: string; errors?: string[]; hint?: string; multiline?: boolean } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const describedBy = [hint && `${id}-hint`, errors?.length && `${id}-err`].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-invalid': errors?.length ? true : undefined, 'aria-describedby': describedBy };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea {...common} name={input.name} value={input.value as string} onChange={input.onChange as never} rows={3} />
      ) : (
        <input {...input} {...common} />
      )}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {errors?.length ? (
        <ul className="field-errors" id={`${id}-err`}>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A modal confirmation on the native <dialog>: focus is trapped, Escape cancels. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): Promise<void> | void;
  onClose(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className="dialog">
      <h2 id={titleId}>{title}</h2>
      <div>{children}</div>
      <div className="actions">
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
            } finally {
              setBusy(false);
              ref.current?.close();
            }
          }}
        >
          {confirmLabel}
        </button>
        <button type="button" onClick={() => ref.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** A secret or key with a copy button; `once` says it will not be shown again. */
export function SecretBox({ label, value, note }: { label: string; value: string; note?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div className="secret">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input id={id} readOnly value={value} className="mono" onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
            } catch {
              // Clipboard refused (permissions): leave the text selected for Ctrl+C.
              (document.getElementById(id) as HTMLInputElement | null)?.select();
            }
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : `Copy ${label.toLowerCase()}`}
        </button>
      </div>
      {note && <p className="hint">{note}</p>}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
