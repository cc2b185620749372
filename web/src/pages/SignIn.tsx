import { useEffect, useState, type FormEvent } from 'react';
import { BusyButton, Field, FormErrors, errorFor, unclaimed, type FieldError } from '../forms';
import { Link, navigate, useLocation } from '../router';
import { login, register } from '../session';

/** Where to go after signing in: a path of this site only. */
function useNext(): string {
  const { search } = useLocation();
  const next = search.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignIn() {
  const next = useNext();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · virtual-store';
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const res = await login(email.trim(), password);
    setBusy(false);
    if (res.ok) navigate(next);
    else setErrors(res.userErrors);
  };

  const fields = ['input.email', 'input.password'];
  return (
    <section className="narrow">
      <h1 tabIndex={-1}>Sign in</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={errorFor(errors, 'input.email')} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errorFor(errors, 'input.password')}
        />
        <FormErrors errors={unclaimed(errors, fields)} />
        <BusyButton type="submit" busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </BusyButton>
      </form>
      <p>
        New here? <Link to={`/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function Register() {
  const next = useNext();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Create an account · virtual-store';
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const res = await register(name.trim(), email.trim(), password);
    setBusy(false);
    if (res.ok) navigate(next);
    else setErrors(res.userErrors);
  };

  const fields = ['input.name', 'input.email', 'input.password'];
  return (
    <section className="narrow">
      <h1 tabIndex={-1}>Create an account</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} error={errorFor(errors, 'input.name')} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={errorFor(errors, 'input.email')} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint="At least 10 characters, not your email address."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errorFor(errors, 'input.password')}
        />
        <FormErrors errors={unclaimed(errors, fields)} />
        <BusyButton type="submit" busy={busy}>
          {busy ? 'Creating your account…' : 'Create account'}
        </BusyButton>
      </form>
      <p>
        Have an account? <Link to={`/signin?next=${encodeURIComponent(next)}`}>Sign in</Link>
      </p>
    </section>
  );
}
