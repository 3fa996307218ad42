import { useState, type FormEvent } from 'react';
import type { AuthResponse } from '../api/types.js';
import { ErrorText } from '../components/error-text.js';
import { Field } from '../components/field.js';
import { PageTitle } from '../components/page-title.js';
import { useAction } from '../components/use-action.js';
import { Link } from '../router.js';
import { useSession, type LoginNotice } from '../session.js';

const NOTICES: Record<Exclude<LoginNotice, null>, string> = {
  session_ended: 'Your session has ended. Please log in again.',
  logged_out: 'You have logged out. See you soon!',
};

export function LoginPage() {
  const { api, begin, notice } = useSession();
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');
  const submit = useAction(async () => {
    const auth = await api.request<AuthResponse>('POST', '/api/auth/login', { body: { nickname, password }, auth: false });
    await begin(auth);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <section className="card narrow">
      <PageTitle title="Log in">Log in</PageTitle>
      {notice ? (
        <p className="notice" role="status" data-testid="login-notice">
          {NOTICES[notice]}
        </p>
      ) : null}
      <form onSubmit={onSubmit}>
        <Field label="Nickname" name="nickname" autoComplete="username" required value={nickname} onChange={(e) => setNickname(e.target.value)} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorText message={submit.error} />
        <button type="submit" disabled={submit.pending}>
          {submit.pending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p>
        New here? <Link to="/signup">Sign up with an invite code</Link>
      </p>
    </section>
  );
}
