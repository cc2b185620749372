// Form pieces: every control has a label, and a userError whose `field`
// names it is shown right under it (aria-describedby, aria-invalid); the
// errors no control claims are shown above the submit button.
import { useId, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import type { CombinedError } from 'urql';
import type { UserError } from './session';

/** A userError as the operations select it (UserErrorFields). */
export type FieldError = Pick<UserError, 'field' | 'message'> & { code: string };

const pathOf = (e: FieldError) => (e.field ?? []).join('.');

/** The messages of the errors whose field is path (e.g. "input.email"). */
export function errorFor(errors: readonly FieldError[] | undefined, path: string): string | undefined {
  const found = errors?.filter((e) => pathOf(e) === path).map((e) => e.message);
  return found?.length ? found.join(' ') : undefined;
}

/** The errors no field in claimed shows. */
export function unclaimed(errors: readonly FieldError[] | undefined, claimed: readonly string[]): FieldError[] {
  return (errors ?? []).filter((e) => !claimed.includes(pathOf(e)));
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string; hint?: string };

export function Field({ label, error, hint, id, className, ...input }: FieldProps) {
  const auto = useId();
  const inputId = id ?? auto;
  const described = [hint && `${inputId}-hint`, error && `${inputId}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint && (
        <p className="hint" id={`${inputId}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="error" id={`${inputId}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

type SelectProps = SelectHTMLAttributes<HTMLSelectElement> & { label: string; children: ReactNode };

export function Select({ label, id, children, ...select }: SelectProps) {
  const auto = useId();
  const selectId = id ?? auto;
  return (
    <div className="field">
      <label htmlFor={selectId}>{label}</label>
      <select id={selectId} {...select}>
        {children}
      </select>
    </div>
  );
}

type BusyButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean };

/**
 * A button whose request may be running (busy): it says so (aria-disabled)
 * and ignores presses until done, but stays focusable. A disabled button
 * would drop the keyboard's focus to the start of the page mid-task.
 */
export function BusyButton({ busy, onClick, ...button }: BusyButtonProps) {
  return (
    <button
      aria-disabled={busy || undefined}
      onClick={(e) => {
        if (busy) e.preventDefault(); // a submit button's press submits no form either
        else onClick?.(e);
      }}
      {...button}
    />
  );
}

/** Form-level errors, announced when they appear. */
export function FormErrors({ errors }: { errors: readonly FieldError[] }) {
  if (!errors.length) return null;
  return (
    <div className="form-errors" role="alert">
      {errors.map((e, i) => (
        <p key={i}>{e.message}</p>
      ))}
    </div>
  );
}

/** A failed request (network, authorization): a short explanation. */
export function RequestError({ error }: { error: CombinedError | undefined }) {
  if (!error) return null;
  const codes = error.graphQLErrors.map((e) => e.extensions?.code);
  let message = error.graphQLErrors[0]?.message ?? 'The store cannot be reached right now. Please try again.';
  if (codes.includes('UNAUTHORIZED') || codes.includes('UNAUTHENTICATED')) message = 'Please sign in to see this.';
  if (codes.includes('FORBIDDEN')) message = 'Your account may not do this.';
  if (codes.includes('RATE_LIMITED')) message = 'Too many requests; please wait a moment and try again.';
  return (
    <p className="form-errors" role="alert">
      {message}
    </p>
  );
}
