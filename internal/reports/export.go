package reports

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// flushEvery is how many rows go out between flushes of a streamed export, so a long download
// shows progress and the server holds no more than a small buffer.
const flushEvery = 5000

// writeCSV writes the export of f to w, calling flush every flushEvery rows, and returns how many
// cases it wrote. e.begin sends the response's head once the count is known.
func (e *exporter) writeCSV(ctx context.Context, w io.Writer, flush func(), f ExportFilter) (int64, error) {
	rw := newRowWriter(w)
	var n int64
	begin := func(total int64) error {
		if err := e.begin(total); err != nil {
			return err
		}
		for i, name := range Header() {
			rw.cell([]byte(name), i == 0)
		}
		rw.end()
		return nil
	}
	err := e.each(ctx, f, begin, func(c *caseCells) error {
		for i := range c.cells {
			rw.cell(c.cell(i), i == 0)
		}
		rw.end()
		n++
		if n%flushEvery == 0 {
			if err := rw.Flush(); err != nil {
				return err
			}
			flush()
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := rw.Flush(); err != nil {
		return n, err
	}
	flush()
	return n, nil
}

// sheetRows is how many data rows one worksheet takes (the format's limit, less the header).
var sheetRows = excelize.TotalRows - 1

// xlsxStyles are the cell styles of the export.
type xlsxStyles struct {
	header, stamp, date, hours int
}

// writeXLSX writes the export of f to w as a workbook. Rows are streamed by excelize's
// StreamWriter (kept on disk past a few megabytes, never all in memory); the workbook's ZIP is
// written straight to w rather than assembled in a buffer first. An export longer than a
// worksheet's limit goes on in "Cases 2", "Cases 3" …
func (e *exporter) writeXLSX(ctx context.Context, w io.Writer, f ExportFilter) (int64, error) {
	x := excelize.NewFile()
	defer func() { _ = x.Close() }()
	if err := x.SetSheetName("Sheet1", "Cases"); err != nil {
		return 0, err
	}
	_ = x.SetDocProps(&excelize.DocProperties{Creator: "kycdesk", Title: "Cases", Created: e.now.UTC().Format(time.RFC3339)})
	var st xlsxStyles
	var err error
	if st.header, err = x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E7EFFB"}}}); err != nil {
		return 0, err
	}
	stampFmt, dateFmt, hoursFmt := "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd", "0.0"
	if st.stamp, err = x.NewStyle(&excelize.Style{CustomNumFmt: &stampFmt}); err != nil {
		return 0, err
	}
	if st.date, err = x.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return 0, err
	}
	if st.hours, err = x.NewStyle(&excelize.Style{CustomNumFmt: &hoursFmt}); err != nil {
		return 0, err
	}
	// A sheet is started once the export has counted its cases, so that its <dimension> (the
	// used range, which excelize's StreamWriter writes before the rows) can say how many rows
	// it will hold: the count is taken in the snapshot the rows are read from.
	var sw *excelize.StreamWriter
	var total int64
	sheet := 1
	begin := func(count int64) error {
		total = count
		var err error
		if sw, err = e.newSheet(x, "Cases", st, sheetSize(total, 1)); err != nil {
			return err
		}
		return e.begin(count)
	}
	var n int64
	row := 1
	cells := make([]any, len(Columns))
	err = e.each(ctx, f, begin, func(r *caseCells) error {
		if row > sheetRows {
			if err := sw.Flush(); err != nil {
				return err
			}
			sheet++
			name := fmt.Sprintf("Cases %d", sheet)
			if _, err := x.NewSheet(name); err != nil {
				return err
			}
			if sw, err = e.newSheet(x, name, st, sheetSize(total, sheet)); err != nil {
				return err
			}
			row = 1
		}
		row++
		n++
		r.xlsxCells(cells, st)
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	// The workbook's parts go straight into a ZIP on w: excelize hands its (unused) buffer to
	// this function, and writes nothing else to it.
	x.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := x.Write(io.Discard); err != nil {
		return n, fmt.Errorf("export: write workbook: %w", err)
	}
	return n, nil
}

// sheetSize is how many cases sheet (1, 2 …) of an export of total cases holds.
func sheetSize(total int64, sheet int) int {
	left := total - int64(sheet-1)*int64(sheetRows)
	return int(max(0, min(left, int64(sheetRows))))
}

// newSheet starts a streamed worksheet of rows cases, its used range set to them and the header
// row (frozen at the top).
func (e *exporter) newSheet(x *excelize.File, name string, st xlsxStyles, rows int) (*excelize.StreamWriter, error) {
	last, err := excelize.CoordinatesToCellName(len(Columns), rows+1)
	if err != nil {
		return nil, err
	}
	if err := x.SetSheetDimension(name, "A1:"+last); err != nil {
		return nil, err
	}
	sw, err := x.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	widths := []float64{38, 22, 28, 20, 11, 14, 16, 16, 10, 12, 14, 14, 14, 14, 12, 30, 20, 36, 36, 20, 20, 14, 20, 20, 18, 16, 20, 20, 20, 12, 11, 9}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(Columns))
	for i, c := range Columns {
		head[i] = excelize.Cell{StyleID: st.header, Value: c.Name}
	}
	return sw, sw.SetRow("A1", head)
}

// xlsxCells fills cells with the case's values: text neutralised, times as dates, the age and the
// time to decision as numbers. An empty value leaves its cell out.
func (c *caseCells) xlsxCells(cells []any, st xlsxStyles) {
	for i := range c.cells {
		if b := c.cell(i); len(b) > 0 {
			cells[i] = xmlSafe(Neutralise(string(b)))
		} else {
			cells[i] = nil
		}
	}
	if c.hasExpiry {
		cells[cDocExpiry] = excelize.Cell{StyleID: st.date, Value: dateOf(c.expiry)}
	}
	if c.hasDecided {
		cells[cDecidedAt] = excelize.Cell{StyleID: st.stamp, Value: timeOf(c.decidedAt)}
	}
	if c.hasChecked {
		cells[cSecondReviewedAt] = excelize.Cell{StyleID: st.stamp, Value: timeOf(c.checkedAt)}
	}
	cells[cCreatedAt] = excelize.Cell{StyleID: st.stamp, Value: timeOf(c.createdAt)}
	if c.hasCaseDecided {
		cells[cCaseDecidedAt] = excelize.Cell{StyleID: st.stamp, Value: timeOf(c.caseDecidedAt)}
		cells[cTimeToDecision] = excelize.Cell{StyleID: st.hours, Value: c.ageHours}
	}
	cells[cAge] = excelize.Cell{StyleID: st.hours, Value: c.ageHours}
}

// xmlSafe drops the characters XML 1.0 cannot carry (most control characters), which a
// spreadsheet program would refuse the whole file for.
func xmlSafe(s string) string {
	bad := func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF)
	}
	if strings.IndexFunc(s, bad) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if bad(r) {
			return -1
		}
		return r
	}, s)
}
