package reports

// BulkRows lets tests choose when an export aggregates all checks at once.
var BulkRows = &bulkRows

// SheetRows lets tests choose how many rows a worksheet takes.
var SheetRows = &sheetRows
