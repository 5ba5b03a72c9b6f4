CREATE TABLE `connection_versions` (
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
	`valid_to` text,
	`opened_by_run` integer,
	`closed_by_run` integer
);
--> statement-breakpoint
CREATE INDEX `connection_versions_connection_idx` ON `connection_versions` (`source`,`id`,`valid_from`);--> statement-breakpoint
CREATE INDEX `connection_versions_as_of_idx` ON `connection_versions` (coalesce(`valid_to`, '~'),`valid_from`,`source`,`deleted_at`,`state`,`platform`);--> statement-breakpoint
CREATE TABLE `history_horizons` (
	`source` text PRIMARY KEY NOT NULL,
	`since` text NOT NULL,
	`reason` text NOT NULL
);--> statement-breakpoint
-- The versions of the mirror a user already has. Each row's present content is exact from last_seen_at (a sync
-- writes both together) and, for a tombstone, until deleted_at, where its deleted version starts. Nothing earlier
-- is rebuilt: the change log keeps a changed field's old value but neither whether it was absent or null nor the
-- row's content hash, so history_horizons says from when each source's versions answer exactly.
INSERT INTO `connection_versions` (`source`, `id`, `key`, `platform`, `platform_version`, `name`, `type`, `environment`, `identity`, `identity_type`, `description`, `state`, `version`, `active`, `created_at`, `tags`, `raw`, `content_hash`, `decode_issue`, `first_seen_at`, `last_seen_at`, `deleted_at`, `valid_from`, `valid_to`, `opened_by_run`, `closed_by_run`)
SELECT c.`source`, c.`id`, c.`key`, c.`platform`, c.`platform_version`, c.`name`, c.`type`, c.`environment`, c.`identity`, c.`identity_type`, c.`description`, c.`state`, c.`version`, c.`active`, c.`created_at`, c.`tags`, c.`raw`, c.`content_hash`, c.`decode_issue`, c.`first_seen_at`, c.`last_seen_at`, NULL, c.`last_seen_at`, c.`deleted_at`,
  (SELECT ch.`run_id` FROM `connection_changes` ch WHERE ch.`source` = c.`source` AND ch.`connection_id` = c.`id`
    AND ch.`kind` <> 'deleted' AND ch.`observed_at` = c.`last_seen_at` ORDER BY ch.`id` DESC LIMIT 1),
  (SELECT ch.`run_id` FROM `connection_changes` ch WHERE ch.`source` = c.`source` AND ch.`connection_id` = c.`id`
    AND ch.`kind` = 'deleted' AND ch.`observed_at` = c.`deleted_at` ORDER BY ch.`id` DESC LIMIT 1)
FROM `connections` c ORDER BY c.`source`, c.`id`;--> statement-breakpoint
INSERT INTO `connection_versions` (`source`, `id`, `key`, `platform`, `platform_version`, `name`, `type`, `environment`, `identity`, `identity_type`, `description`, `state`, `version`, `active`, `created_at`, `tags`, `raw`, `content_hash`, `decode_issue`, `first_seen_at`, `last_seen_at`, `deleted_at`, `valid_from`, `valid_to`, `opened_by_run`, `closed_by_run`)
SELECT c.`source`, c.`id`, c.`key`, c.`platform`, c.`platform_version`, c.`name`, c.`type`, c.`environment`, c.`identity`, c.`identity_type`, c.`description`, c.`state`, c.`version`, c.`active`, c.`created_at`, c.`tags`, c.`raw`, c.`content_hash`, c.`decode_issue`, c.`first_seen_at`, c.`last_seen_at`, c.`deleted_at`, c.`deleted_at`, NULL, v.`closed_by_run`, NULL
FROM `connections` c
JOIN `connection_versions` v ON v.`source` = c.`source` AND v.`id` = c.`id` AND v.`valid_to` = c.`deleted_at`
WHERE c.`deleted_at` IS NOT NULL ORDER BY c.`source`, c.`id`;--> statement-breakpoint
-- Exact from the later of the first row seen and the last rewrite of a row seen before it (an update or a restore).
INSERT INTO `history_horizons` (`source`, `since`, `reason`)
SELECT `source`, max(min(`first_seen_at`), coalesce(max(`last_seen_at`) FILTER (WHERE `last_seen_at` > `first_seen_at`), '')), 'migration'
FROM `connections` GROUP BY `source`;--> statement-breakpoint
-- A source whose syncs never mirrored a row was exactly empty since its first success.
INSERT OR IGNORE INTO `history_horizons` (`source`, `since`, `reason`)
SELECT `source`, min(`finished_at`), 'migration' FROM `sync_runs` WHERE `status` = 'succeeded' AND `finished_at` IS NOT NULL GROUP BY `source`;
