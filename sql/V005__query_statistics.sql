-- Query statistics (pg_stat_statements): calls, time and rows per normalised statement,
-- for tuning and for the checklist's database.statistics item.
-- The library must be preloaded first: the parameter group of the database layer sets
-- shared_preload_libraries = pg_stat_statements. On RDS the master user may create the
-- extension (rds_superuser); IF NOT EXISTS keeps the migration safe where it was
-- created by hand before.

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
