CREATE TABLE `connection_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`source` text NOT NULL,
	`connection_id` text NOT NULL,
	`kind` text NOT NULL,
	`changed_fields` text,
	`observed_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `connection_changes_connection_idx` ON `connection_changes` (`source`,`connection_id`);--> statement-breakpoint
CREATE INDEX `connection_changes_run_idx` ON `connection_changes` (`run_id`);--> statement-breakpoint
CREATE TABLE `connection_tags` (
	`source` text NOT NULL,
	`connection_id` text NOT NULL,
	`tag` text NOT NULL,
	PRIMARY KEY(`source`, `connection_id`, `tag`)
);
--> statement-breakpoint
CREATE INDEX `connection_tags_tag_idx` ON `connection_tags` (`source`,`tag`);--> statement-breakpoint
CREATE TABLE `connections` (
	`source` text NOT NULL,
	`id` text NOT NULL,
	`key` text NOT NULL,
	`platform` text NOT NULL,
	`platform_version` text NOT NULL,
	`name` text,
	`type` text NOT NULL,
	`environment` text NOT NULL,
	`identity` text,
	`identity_type` text,
	`description` text NOT NULL,
	`state` text,
	`version` text NOT NULL,
	`active` integer NOT NULL,
	`created_at` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`raw` text NOT NULL,
	`content_hash` text NOT NULL,
	`first_seen_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`deleted_at` text,
	PRIMARY KEY(`source`, `id`)
);
--> statement-breakpoint
CREATE INDEX `connections_platform_idx` ON `connections` (`source`,`platform`);--> statement-breakpoint
CREATE TABLE `staged_connections` (
	`run_id` integer NOT NULL,
	`id` text NOT NULL,
	`raw` text NOT NULL,
	`content_hash` text NOT NULL,
	PRIMARY KEY(`run_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `sync_locks` (
	`source` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`pid` integer NOT NULL,
	`hostname` text NOT NULL,
	`acquired_at` text NOT NULL,
	`heartbeat_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`status` text NOT NULL,
	`pages_fetched` integer DEFAULT 0 NOT NULL,
	`rows_fetched` integer DEFAULT 0 NOT NULL,
	`ids_checked` integer DEFAULT 0 NOT NULL,
	`inserted` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL,
	`restored` integer DEFAULT 0 NOT NULL,
	`drift_detected` integer DEFAULT false NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `sync_runs_source_idx` ON `sync_runs` (`source`,`id`);