-- Least privilege for the platform's registry database on MySQL/MariaDB.
--
-- Two accounts: the schema owner runs the migrations (`ml-platform` migrates on first use, or
-- run it once as the owner before switching the application to its own account), and the
-- application account that the Dagster code location, the daemon's runs and the command line
-- use day to day. The application may read and append to the audit ledger and nothing else:
-- no UPDATE or DELETE on it, so a record once written stays as written. Its other tables are
-- granted one by one, because a database-wide grant cannot be narrowed for one table.
--
-- Replace ${DATABASE}, ${APP_USER}, ${APP_HOST} and ${APP_PASSWORD}; run as the schema owner
-- after the migrations. tests/registry/test_ledger_grants.py applies exactly this file.

CREATE USER IF NOT EXISTS '${APP_USER}'@'${APP_HOST}' IDENTIFIED BY '${APP_PASSWORD}';

-- Append-only: the ledger is the proof over the tables below.
GRANT SELECT, INSERT ON `${DATABASE}`.`audit_ledger` TO '${APP_USER}'@'${APP_HOST}';

-- The registry: versions change status, the champion pointer moves, an evaluation's report
-- checksum follows the completed report. Nothing is ever deleted.
GRANT SELECT, INSERT, UPDATE ON `${DATABASE}`.`model_versions` TO '${APP_USER}'@'${APP_HOST}';
GRANT SELECT, INSERT, UPDATE ON `${DATABASE}`.`evaluations` TO '${APP_USER}'@'${APP_HOST}';
GRANT SELECT, INSERT, UPDATE ON `${DATABASE}`.`model_aliases` TO '${APP_USER}'@'${APP_HOST}';
GRANT SELECT, INSERT ON `${DATABASE}`.`alias_events` TO '${APP_USER}'@'${APP_HOST}';
GRANT SELECT, INSERT ON `${DATABASE}`.`approvals` TO '${APP_USER}'@'${APP_HOST}';
GRANT SELECT, INSERT ON `${DATABASE}`.`drift_results` TO '${APP_USER}'@'${APP_HOST}';
GRANT SELECT, INSERT ON `${DATABASE}`.`retrain_decisions` TO '${APP_USER}'@'${APP_HOST}';

-- The application checks that the schema is current; only the owner changes it.
GRANT SELECT ON `${DATABASE}`.`ml_platform_schema_version` TO '${APP_USER}'@'${APP_HOST}';
