-- A listing's count, and its page in the API's order, read from an index alone (MirrorPicaClient): unfiltered, and by platform.
CREATE INDEX `connections_listing_idx` ON `connections` (`source`,`active`,`deleted_at`,"created_at" DESC,`id`);--> statement-breakpoint
CREATE INDEX `connections_platform_listing_idx` ON `connections` (`source`,`platform`,`active`,`deleted_at`,"created_at" DESC,`id`);