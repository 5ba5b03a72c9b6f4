-- Each connection's versions in time order, with the columns a count groups by: the version at a moment is one
-- seek per connection (query --as-of, diff), and the apply finds a connection's open version in the index alone.
DROP INDEX `connection_versions_connection_idx`;--> statement-breakpoint
CREATE INDEX `connection_versions_history_idx` ON `connection_versions` (`source`,`id`,`valid_from`,`valid_to`,`deleted_at`,`state`,`platform`);