-- The read commands (status, check, report) answer a 100,000-connection mirror in well under a second.
-- Their counts of live connections read this index alone, never the rows with their raw JSON.
CREATE INDEX `connections_live_idx` ON `connections` (`source`,`deleted_at`,`state`,`active`,`environment`,`platform`,`id`);--> statement-breakpoint
-- When each connection entered its current state: one seek to its newest such change, not a scan of the change log.
CREATE INDEX `connection_changes_state_idx` ON `connection_changes` (`source`,`connection_id`,`observed_at`) WHERE kind IN ('inserted', 'restored') OR changed_fields -> '$.state' IS NOT NULL;--> statement-breakpoint
-- The same rows and columns as before, but `state_since` is looked up for each unhealthy connection (in the index
-- above) instead of grouping the whole change log first, and only when a query reads it.
DROP VIEW `unhealthy_connections`;--> statement-breakpoint
CREATE VIEW unhealthy_connections AS
SELECT *, round(julianday('now') - julianday(state_since), 1) AS days_in_state
FROM (
  SELECT
    c.source, c.id, c.platform, c.environment, c.state, c.active, c.name, c.identity, c.key,
    (
      SELECT max(ch.observed_at) FROM connection_changes ch
      WHERE ch.source = c.source AND ch.connection_id = c.id
        AND (ch.kind IN ('inserted', 'restored') OR ch.changed_fields -> '$.state' IS NOT NULL)
    ) AS state_since
  FROM live_connections c
  WHERE c.state IN ('degraded', 'failed', 'unknown')
);
