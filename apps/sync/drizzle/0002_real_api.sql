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
PRAGMA legacy_alter_table=ON;--> statement-breakpoint
ALTER TABLE `__new_connections` RENAME TO `connections`;--> statement-breakpoint
PRAGMA legacy_alter_table=OFF;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `connections_platform_idx` ON `connections` (`source`,`platform`);--> statement-breakpoint
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