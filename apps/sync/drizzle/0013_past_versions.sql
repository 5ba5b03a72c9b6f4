CREATE TABLE `connection_past_versions` (
	`version_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
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
	`valid_from` text NOT NULL,
	`valid_to` text NOT NULL,
	`opened_by_run` integer,
	`closed_by_run` integer
);
--> statement-breakpoint
CREATE INDEX `connection_past_versions_history_idx` ON `connection_past_versions` (`source`,`id`,`valid_from`,`valid_to`,`deleted_at`,`state`,`platform`);--> statement-breakpoint
CREATE INDEX `connection_past_versions_closed_idx` ON `connection_past_versions` (`valid_to`,`valid_from`,`source`,`deleted_at`,`state`,`platform`);--> statement-breakpoint
-- A row's present version is the row itself (valid since its last rewrite or tombstone), so only the past versions
-- are kept apart: a sync copies there only the rows it is about to change, and a first sync writes no version at all.
INSERT INTO `connection_past_versions` (`version_id`, `source`, `id`, `key`, `platform`, `platform_version`, `name`, `type`, `environment`, `identity`, `identity_type`, `description`, `state`, `version`, `active`, `created_at`, `tags`, `raw`, `content_hash`, `decode_issue`, `first_seen_at`, `last_seen_at`, `deleted_at`, `valid_from`, `valid_to`, `opened_by_run`, `closed_by_run`)
SELECT `version_id`, `source`, `id`, `key`, `platform`, `platform_version`, `name`, `type`, `environment`, `identity`, `identity_type`, `description`, `state`, `version`, `active`, `created_at`, `tags`, `raw`, `content_hash`, `decode_issue`, `first_seen_at`, `last_seen_at`, `deleted_at`, `valid_from`, `valid_to`, `opened_by_run`, `closed_by_run`
FROM `connection_versions` WHERE `valid_to` IS NOT NULL ORDER BY `version_id`;--> statement-breakpoint
DROP TABLE `connection_versions`;--> statement-breakpoint
-- Every version of every mirror row, the present one included, as before: version_id, opened_by_run and closed_by_run
-- are NULL on the present one, which is the connections row.
CREATE VIEW connection_versions AS
SELECT version_id, source, id, key, platform, platform_version, name, type, environment, identity, identity_type, description, state, version, active, created_at, tags, raw, content_hash, decode_issue, first_seen_at, last_seen_at, deleted_at, valid_from, valid_to, opened_by_run, closed_by_run
FROM connection_past_versions
UNION ALL
SELECT NULL, source, id, key, platform, platform_version, name, type, environment, identity, identity_type, description, state, version, active, created_at, tags, raw, content_hash, decode_issue, first_seen_at, last_seen_at, deleted_at, coalesce(deleted_at, last_seen_at), NULL, NULL, NULL
FROM connections;
