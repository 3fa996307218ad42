DROP TABLE gate_results;
DROP TABLE code_freezes;
