CREATE TABLE `notification_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`change_id` integer NOT NULL,
	`run_id` integer NOT NULL,
	`source` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_attempt_at` text,
	`delivered_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_outbox_change_id_unique` ON `notification_outbox` (`change_id`);--> statement-breakpoint
CREATE INDEX `notification_outbox_pending_idx` ON `notification_outbox` (`delivered_at`,`change_id`);--> statement-breakpoint

-- Notifications not delivered yet, oldest first, with what went wrong the last time one was tried.
CREATE VIEW undelivered_notifications AS
SELECT id, run_id, source, kind, payload ->> '$.connection_id' AS connection_id, attempts, last_error, last_attempt_at, created_at
FROM notification_outbox
WHERE delivered_at IS NULL
ORDER BY change_id;
