DROP TABLE daily_rewards;
DROP TABLE plays;
