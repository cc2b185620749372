import { useAccount } from '../account';
import { Link, useLocation } from '../router';

/** For pages that need an account: a prompt to sign in, or null when signed in. */
export function SignInFirst({ title }: { title: string }) {
  const { ready, signedIn } = useAccount();
  const { href } = useLocation();
  if (signedIn) return null;
  return (
    <section className="narrow">
      <h1 tabIndex={-1}>{title}</h1>
      {ready ? (
        <p>
          <Link to={`/signin?next=${encodeURIComponent(href)}`}>Sign in</Link> or <Link to={`/register?next=${encodeURIComponent(href)}`}>create an account</Link> to see this page.
        </p>
      ) : (
        <p role="status">Loading…</p>
      )}
    </section>
  );
}
