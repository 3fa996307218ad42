import { useEffect, useState } from 'react';
import type { DailyRewardResponse } from '../../api/types.js';
import { ErrorText } from '../../components/error-text.js';
import { coins, dateTime } from '../../components/format.js';
import { useAction } from '../../components/use-action.js';
import { useSession } from '../../session.js';

/** The daily reward: claim it once per day; the button comes back when the next one opens. */
export function DailyRewardCard() {
  const { api, me, setBalance, setStreak } = useSession();
  const [reward, setReward] = useState<DailyRewardResponse | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const claim = useAction(async () => {
    const r = await api.request<DailyRewardResponse>('POST', '/api/rewards/daily', { body: {} });
    setReward(r);
    setBalance(r.balance);
    setStreak({ days: r.streakDays, nextClaimAt: r.nextClaimAt });
    setNow(Date.now());
  });

  const nextClaimAt = me?.streak.nextClaimAt ? Date.parse(me.streak.nextClaimAt) : null;
  const claimable = nextClaimAt === null || nextClaimAt <= now;

  // Re-enable the button when the next reward becomes available while the page is open.
  useEffect(() => {
    if (claimable || nextClaimAt === null) return;
    const t = setTimeout(() => setNow(Date.now()), Math.min(nextClaimAt - Date.now() + 500, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [claimable, nextClaimAt]);

  return (
    <section className="card" aria-labelledby="daily-heading">
      <h2 id="daily-heading">Daily reward</h2>
      <p className="result-line" role="status" data-testid="reward-result">
        {reward
          ? `You received ${coins(reward.amount)} coins. Your streak is ${reward.streakDays} ${reward.streakDays === 1 ? 'day' : 'days'}.`
          : claimable
            ? 'Your reward for today is waiting. Claim it every day to grow your streak.'
            : nextClaimAt !== null
              ? `Claimed for today. The next reward opens ${dateTime(new Date(nextClaimAt).toISOString())}.`
              : ''}
      </p>
      <ErrorText message={claim.error} />
      <button type="button" onClick={() => void claim.run()} disabled={claim.pending || !me || !claimable}>
        {claim.pending ? 'Claiming…' : claimable ? 'Claim daily reward' : 'Reward claimed'}
      </button>
    </section>
  );
}
