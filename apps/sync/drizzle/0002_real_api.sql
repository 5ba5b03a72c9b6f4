CREATE TABLE `unreadable_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`source` text NOT NULL,
	`connection_id` text,
	`listed_active` integer NOT NULL,
	`page` integer NOT NULL,
	`position` integer NOT NULL,
	`path` text NOT NULL,
	`reason` text NOT NULL,
	`raw` text NOT NULL,
	`observed_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `unreadable_rows_run_idx` ON `unreadable_rows` (`run_id`);--> statement-breakpoint
-- A libSQL server refuses PRAGMA legacy_alter_table: the views over `connections` are dropped
-- before its rebuild and made again after it, as 0001_views made them.
DROP VIEW `state_changes`;--> statement-breakpoint
DROP VIEW `recent_changes`;--> statement-breakpoint
DROP VIEW `tag_usage`;--> statement-breakpoint
DROP VIEW `connections_by_platform`;--> statement-breakpoint
DROP VIEW `unhealthy_connections`;--> statement-breakpoint
DROP VIEW `live_connections`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_connections` (
	`source` text NOT NULL,
	`id` text NOT NULL,
	`key` text,
	`platform` text,
	`platform_version` text,
	`name` text,
	`type` text,
	`environment` text,
	`identity` text,
	`identity_type` text,
	`description` text,
	`state` text,
	`version` text,
	`active` integer NOT NULL,
	`created_at` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`raw` text NOT NULL,
	`content_hash` text NOT NULL,
	`decode_issue` text,
	`first_seen_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`deleted_at` text,
	PRIMARY KEY(`source`, `id`)
);
--> statement-breakpoint
INSERT INTO `__new_connections`("source", "id", "key", "platform", "platform_version", "name", "type", "environment", "identity", "identity_type", "description", "state", "version", "active", "created_at", "tags", "raw", "content_hash", "decode_issue", "first_seen_at", "last_seen_at", "deleted_at") SELECT "source", "id", "key", "platform", "platform_version", "name", "type", "environment", "identity", "identity_type", "description", "state", "version", "active", "created_at", "tags", "raw", "content_hash", NULL, "first_seen_at", "last_seen_at", "deleted_at" FROM `connections`;--> statement-breakpoint
DROP TABLE `connections`;--> statement-breakpoint
ALTER TABLE `__new_connections` RENAME TO `connections`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `connections_platform_idx` ON `connections` (`source`,`platform`);--> statement-breakpoint
-- Views for asking questions of the mirror. Every view spans all sources: filter on `source`
-- when one database holds several (`live`, `test`, …).

-- Connections that exist in Pica today: every mirrored row a sync has not tombstoned.
CREATE VIEW live_connections AS
SELECT * FROM connections WHERE deleted_at IS NULL;
--> statement-breakpoint

-- Live connections that need attention: state degraded, failed or unknown.
-- `state_since` is when a sync first saw the connection in its current state: its insertion or
-- restore, or the last change of `state` in connection_changes. `days_in_state` counts from then.
CREATE VIEW unhealthy_connections AS
SELECT
  c.source, c.id, c.platform, c.environment, c.state, c.active, c.name, c.identity, c.key,
  s.state_since,
  round(julianday('now') - julianday(s.state_since), 1) AS days_in_state
FROM live_connections c
LEFT JOIN (
  SELECT source, connection_id, max(observed_at) AS state_since
  FROM connection_changes
  WHERE kind IN ('inserted', 'restored') OR changed_fields -> '$.state' IS NOT NULL
  GROUP BY source, connection_id
) s ON s.source = c.source AND s.connection_id = c.id
WHERE c.state IN ('degraded', 'failed', 'unknown');
--> statement-breakpoint

-- Live connections counted by platform, environment and state (a NULL state: older rows without one).
CREATE VIEW connections_by_platform AS
SELECT
  source, platform, environment, state,
  count(*) AS connections,
  sum(active) AS active,
  count(*) - sum(active) AS inactive
FROM live_connections
GROUP BY source, platform, environment, state;
--> statement-breakpoint

-- Each tag with how many live connections carry it, on how many platforms.
CREATE VIEW tag_usage AS
SELECT
  t.source, t.tag,
  count(*) AS connections,
  count(DISTINCT c.platform) AS platforms
FROM connection_tags t
JOIN live_connections c ON c.source = t.source AND c.id = t.connection_id
GROUP BY t.source, t.tag;
--> statement-breakpoint

-- The change log, newest first, with enough of each connection to read it without a join.
-- `changed_fields` holds { "field": { "old": …, "new": … } } for updates and restores.
CREATE VIEW recent_changes AS
SELECT
  ch.observed_at, ch.run_id, ch.source, ch.kind, ch.connection_id,
  c.platform, c.environment, c.name, c.state, ch.changed_fields
FROM connection_changes ch
LEFT JOIN connections c ON c.source = ch.source AND c.id = ch.connection_id
ORDER BY ch.id DESC;
--> statement-breakpoint

-- One row per change of state a sync observed (operational → failed, …), newest first.
CREATE VIEW state_changes AS
SELECT
  ch.observed_at, ch.run_id, ch.source, ch.connection_id, c.platform, c.environment,
  ch.changed_fields -> '$.state' ->> '$.old' AS old_state,
  ch.changed_fields -> '$.state' ->> '$.new' AS new_state
FROM connection_changes ch
LEFT JOIN connections c ON c.source = ch.source AND c.id = ch.connection_id
WHERE ch.changed_fields -> '$.state' IS NOT NULL
ORDER BY ch.id DESC;
--> statement-breakpoint
DROP TABLE `staged_connections`;--> statement-breakpoint
CREATE TABLE `staged_connections` (
	`run_id` integer NOT NULL,
	`id` text NOT NULL,
	`kind` text NOT NULL,
	`raw` text,
	`content_hash` text NOT NULL,
	`listed_active` integer NOT NULL,
	`decode_issue` text,
	PRIMARY KEY(`run_id`, `id`)
);
--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `rows_unlisted` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `rows_unreadable` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `ids_unconfirmed` integer DEFAULT 0 NOT NULL;