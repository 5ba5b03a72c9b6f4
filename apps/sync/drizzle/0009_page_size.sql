-- The page size a run asked for after its first page: given by --page-size, or learned from what the API really gives.
ALTER TABLE `sync_runs` ADD `page_size` integer;