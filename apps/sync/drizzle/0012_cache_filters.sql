-- The other listings from an index alone too (MirrorPicaClient): by identity type, and by tag through each tagged connection; the platform index is the listing one's prefix.
DROP INDEX IF EXISTS `connections_platform_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `connections_sync_idx`;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `connections_identity_type_listing_idx` ON `connections` (`source`,`identity_type`,`active`,`deleted_at`,"created_at" DESC,`id`);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `connections_sync_idx` ON `connections` (`source`,`id`,`content_hash`,`deleted_at`,`active`);--> statement-breakpoint
DROP INDEX IF EXISTS `connection_tags_tag_idx`;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `connection_tags_tag_idx` ON `connection_tags` (`source`,`tag`,`connection_id`);