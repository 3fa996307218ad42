DROP TRIGGER plays_leaderboard_totals ON plays;
DROP FUNCTION leaderboard_totals_add_play();
DROP TABLE leaderboard_totals;
