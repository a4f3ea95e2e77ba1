package reports

// BulkRows lets tests choose when an export reads the stored rows.
var BulkRows = &bulkRows

// SheetRows lets tests choose how many rows a worksheet takes.
var SheetRows = &sheetRows

// RefreshBeforeExport lets a test export while cases are marked stale.
var RefreshBeforeExport = &refreshBeforeExport
