import { useState, type FormEvent } from 'react';
import type { AuthResponse } from '../api/types.js';
import { ErrorText } from '../components/error-text.js';
import { Field } from '../components/field.js';
import { PageTitle } from '../components/page-title.js';
import { useAction } from '../components/use-action.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

export function SignupPage() {
  const { api, begin } = useSession();
  const [inviteCode, setInviteCode] = useState('');
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');
  const submit = useAction(async () => {
    const auth = await api.request<AuthResponse>('POST', '/api/auth/signup', { body: { inviteCode, nickname, password }, auth: false });
    await begin(auth);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <section className="card narrow">
      <PageTitle title="Sign up">Sign up</PageTitle>
      <p>CC Webapp is invite-only. Play with virtual coins; nothing here costs or pays real money.</p>
      <form onSubmit={onSubmit}>
        <Field
          label="Invite code"
          name="inviteCode"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          required
          maxLength={64}
          value={inviteCode}
          onChange={(e) => setInviteCode(e.target.value)}
        />
        <Field
          label="Nickname"
          name="nickname"
          autoComplete="username"
          hint="3 to 20 letters, digits or underscores. Other players see it on the leaderboard."
          required
          minLength={3}
          maxLength={20}
          pattern="[A-Za-z0-9_]{3,20}"
          value={nickname}
          onChange={(e) => setNickname(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters."
          required
          minLength={10}
          maxLength={256}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorText message={submit.error} />
        <button type="submit" disabled={submit.pending}>
          {submit.pending ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p>
        Already playing? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
