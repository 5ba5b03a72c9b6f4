ALTER TABLE `sync_locks` ADD `machine` text;--> statement-breakpoint
ALTER TABLE `sync_locks` ADD `applying_since` text;