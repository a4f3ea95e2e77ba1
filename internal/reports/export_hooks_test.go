package reports

// BulkRows lets tests choose when an export aggregates all checks at once.
var BulkRows = &bulkRows
