-- Staging moves to one table per run (staged_run_N), dropped whole when the run ends.
DROP TABLE `staged_connections`;--> statement-breakpoint
-- Covers every lookup a sync makes by id (is this content new? which live rows went unseen?) without reading raw.
CREATE INDEX `connections_sync_idx` ON `connections` (`source`,`id`,`content_hash`,`deleted_at`);