package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"kycdesk/internal/images"
)

// The report's fonts are the Go fonts, embedded (subset) in every PDF: they cover Latin with its
// accents and ligatures (Ł, ß, Ø …), Greek and Cyrillic, which PDF's own core fonts (Latin-1) do not.
const (
	sans = "gosans"
	mono = "gomono"
)

var (
	glyphsOnce sync.Once
	glyphFont  *sfnt.Font
)

// printable replaces what the report's font cannot draw (and control characters) with "?", so a
// name in a script the font lacks shows as a visible gap rather than vanishing. Text is always
// printed as text: markup in a customer's data is shown, never interpreted.
func printable(s string) string {
	glyphsOnce.Do(func() { glyphFont, _ = sfnt.Parse(goregular.TTF) })
	s = strings.ToValidUTF8(s, "?")
	ok := true
	for _, r := range s {
		if r >= 0x7F || r < 0x20 {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var buf sfnt.Buffer
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == utf8.RuneError:
			b.WriteByte('?')
		case r < 0x7F:
			b.WriteRune(r)
		default:
			if glyphFont == nil {
				b.WriteByte('?')
				continue
			}
			if g, err := glyphFont.GlyphIndex(&buf, r); err != nil || g == 0 {
				b.WriteByte('?')
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// Colours of the report.
var (
	inkRGB   = [3]int{28, 35, 48}
	mutedRGB = [3]int{93, 103, 120}
	lineRGB  = [3]int{221, 225, 231}
	badRGB   = [3]int{180, 35, 24}
	badSoft  = [3]int{253, 232, 230}
	okRGB    = [3]int{29, 122, 69}
	headSoft = [3]int{231, 239, 251}
)

// pdfDoc wraps fpdf with the report's layout helpers.
type pdfDoc struct {
	*fpdf.Fpdf
	left, right, width float64
}

func (d *pdfDoc) color(c [3]int)                  { d.SetTextColor(c[0], c[1], c[2]) }
func (d *pdfDoc) fill(c [3]int)                   { d.SetFillColor(c[0], c[1], c[2]) }
func (d *pdfDoc) draw(c [3]int)                   { d.SetDrawColor(c[0], c[1], c[2]) }
func (d *pdfDoc) font(style string, size float64) { d.SetFont(sans, style, size) }

// ensure starts a new page unless h millimetres are left above the bottom margin.
func (d *pdfDoc) ensure(h float64) {
	_, pageH := d.GetPageSize()
	_, _, _, bottom := d.GetMargins()
	if d.GetY()+h > pageH-bottom {
		d.AddPage()
	}
}

func (d *pdfDoc) heading(text string) {
	d.ensure(16)
	d.Ln(3)
	d.font("B", 12)
	d.color(inkRGB)
	d.CellFormat(0, 7, printable(text), "", 1, "L", false, 0, "")
	d.draw(lineRGB)
	d.Line(d.left, d.GetY(), d.right, d.GetY())
	d.Ln(2)
}

func (d *pdfDoc) subheading(text string) {
	d.ensure(12)
	d.Ln(1)
	d.font("B", 10)
	d.color(inkRGB)
	d.MultiCell(0, 5, printable(text), "", "L", false)
	d.Ln(1)
}

func (d *pdfDoc) para(text string, style string, size float64, c [3]int) {
	d.font(style, size)
	d.color(c)
	d.MultiCell(0, size*0.45, printable(text), "", "L", false)
}

// kv writes labelled values in two columns of text.
func (d *pdfDoc) kv(rows []KV) {
	var list [][]string
	for _, r := range rows {
		if r.Value != "" {
			list = append(list, []string{r.Key, r.Value})
		}
	}
	d.table(nil, []float64{45, d.width - 45}, list, tableOpts{})
}

type tableOpts struct {
	keyColumn bool           // the first column is a label (muted)
	size      float64        // font size (default 8.5)
	mono      map[int]bool   // columns in the monospaced font
	bad       func(int) bool // rows to mark (mismatch, failed check)
	good      func(int) bool // rows to mark as passed
}

// table draws rows with wrapped cells, repeating the header after a page break.
func (d *pdfDoc) table(header []string, widths []float64, rows [][]string, o tableOpts) {
	size := o.size
	if size == 0 {
		size = 8.5
	}
	lh := size * 0.42
	pad := 1.2
	fontFor := func(col int, bold bool) {
		switch {
		case o.mono[col]:
			d.SetFont(mono, "", size-0.5)
		case bold:
			d.font("B", size)
		default:
			d.font("", size)
		}
	}
	lines := func(cells []string, bold bool) ([][]string, float64) {
		out := make([][]string, len(cells))
		max := 1
		for i, c := range cells {
			fontFor(i, bold)
			out[i] = d.SplitText(printable(c), widths[i]-2*pad)
			if len(out[i]) == 0 {
				out[i] = []string{""}
			}
			if len(out[i]) > max {
				max = len(out[i])
			}
		}
		return out, float64(max)*lh + 2*pad
	}
	drawRow := func(cells []string, bold bool, bg *[3]int, text [3]int) {
		ls, h := lines(cells, bold)
		_, pageH := d.GetPageSize()
		_, _, _, bottom := d.GetMargins()
		if d.GetY()+h > pageH-bottom {
			d.AddPage()
			if header != nil && !bold {
				hl, hh := lines(header, true)
				d.rowAt(hl, widths, hh, lh, pad, true, &headSoft, inkRGB, fontFor)
			}
		}
		d.rowAt(ls, widths, h, lh, pad, bold, bg, text, fontFor)
	}
	if header != nil {
		drawRow(header, true, &headSoft, inkRGB)
	}
	for i, r := range rows {
		var bg *[3]int
		text := inkRGB
		if o.bad != nil && o.bad(i) {
			bg, text = &badSoft, badRGB
		} else if o.good != nil && o.good(i) {
			text = okRGB
		}
		drawRow(r, false, bg, text)
	}
	d.Ln(1.5)
}

func (d *pdfDoc) rowAt(ls [][]string, widths []float64, h, lh, pad float64, bold bool, bg *[3]int, text [3]int, fontFor func(int, bool)) {
	x, y := d.left, d.GetY()
	d.draw(lineRGB)
	for i, cell := range ls {
		style := "D"
		if bg != nil {
			d.fill(*bg)
			style = "FD"
		}
		d.Rect(x, y, widths[i], h, style)
		fontFor(i, bold)
		d.color(text)
		for j, line := range cell {
			d.SetXY(x+pad, y+pad+float64(j)*lh)
			d.CellFormat(widths[i]-2*pad, lh, line, "", 0, "L", false, 0, "")
		}
		x += widths[i]
	}
	d.SetXY(d.left, y+h)
}

// ReportMeta is who generated a report, and when: printed on every page.
type ReportMeta struct {
	By  string // "Maya Manager <manager@kycdesk.local>"
	At  time.Time
	App string // e.g. the base URL, printed in the footer
}

// maxImageBytes bounds a display image read into a report.
const maxImageBytes = 25 << 20

// RenderPDF writes the case report as a PDF. Images come from store (their display JPEGs, which
// are embedded as they are: no re-encoding).
func RenderPDF(ctx context.Context, store *images.Store, r *CaseReport, meta ReportMeta) ([]byte, error) {
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(sans, "", goregular.TTF)
	f.AddUTF8FontFromBytes(sans, "B", gobold.TTF)
	f.AddUTF8FontFromBytes(mono, "", gomono.TTF)
	f.SetMargins(15, 20, 15)
	f.SetAutoPageBreak(true, 20)
	f.AliasNbPages("{nb}")
	f.SetCreationDate(meta.At)
	f.SetModificationDate(meta.At)
	f.SetTitle(printable("Case report: "+r.Name), true)
	f.SetSubject("kycdesk case "+r.CaseID.String(), true)
	f.SetAuthor(printable(meta.By), true)
	f.SetCreator("kycdesk", true)
	f.SetProducer("kycdesk", true)
	pageW, _ := f.GetPageSize()
	d := &pdfDoc{Fpdf: f, left: 15, right: pageW - 15, width: pageW - 30}
	generated := "Generated " + when(meta.At) + " by " + meta.By
	f.SetHeaderFuncMode(func() {
		d.SetY(8)
		d.font("B", 8)
		d.color(mutedRGB)
		d.CellFormat(d.width/2, 5, "kycdesk · case report", "", 0, "L", false, 0, "")
		d.font("", 8)
		d.CellFormat(d.width/2, 5, printable(r.Name), "", 1, "R", false, 0, "")
		d.draw(lineRGB)
		d.Line(d.left, 14, d.right, 14)
		d.SetY(20)
	}, true)
	f.SetFooterFunc(func() {
		d.SetY(-15)
		d.draw(lineRGB)
		d.Line(d.left, d.GetY(), d.right, d.GetY())
		d.Ln(1)
		d.font("", 7.5)
		d.color(mutedRGB)
		d.CellFormat(d.width, 3.8, printable(generated), "", 2, "L", false, 0, "")
		d.CellFormat(d.width*0.7, 3.8, "Case "+r.CaseID.String(), "", 0, "L", false, 0, "")
		d.CellFormat(d.width*0.3, 3.8, "Page "+strconv.Itoa(d.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
	})
	d.AddPage()

	// Title.
	d.font("B", 17)
	d.color(inkRGB)
	d.MultiCell(0, 8, printable(r.Name), "", "L", false)
	d.font("", 9)
	d.color(mutedRGB)
	line := "Case " + r.CaseID.String() + " · " + r.Status + " · opened " + when(r.CreatedAt)
	if r.DecidedAt != nil {
		line += " · decided " + when(*r.DecidedAt)
	}
	d.MultiCell(0, 4.5, printable(line), "", "L", false)
	sub := "Vendor outcome: " + orDash(r.Outcome)
	if r.Assignee != "" {
		sub += " · assigned to " + r.Assignee
	}
	d.MultiCell(0, 4.5, printable(sub), "", "L", false)
	d.MultiCell(0, 4.5, printable(generated), "", "L", false)
	d.Ln(2)
	if len(r.Flags) > 0 {
		d.font("B", 9)
		d.color(badRGB)
		d.fill(badSoft)
		d.MultiCell(0, 5, printable("Flags: "+strings.Join(r.Flags, "; ")), "", "L", true)
		d.Ln(1)
	}

	d.heading("Customer")
	d.kv(r.Customer)

	for i, doc := range r.Documents {
		d.heading(fmt.Sprintf("Document %d: %s", i+1, doc.Title))
		d.kv(doc.Facts)
		if err := d.images(ctx, store, doc.Images); err != nil {
			return nil, err
		}
		if len(doc.Fields.Rows) > 0 {
			d.subheading("Field comparison")
			d.fieldTable(doc.Fields)
		}
		if len(doc.MRZ) > 0 {
			d.subheading("MRZ checks (recomputed by kycdesk)")
			d.mrzChecks(doc.MRZ)
		}
	}
	if len(r.Selfies) > 0 {
		d.heading("Selfies")
		if err := d.images(ctx, store, r.Selfies); err != nil {
			return nil, err
		}
	}

	d.heading("Vendor checks")
	if len(r.Checks) == 0 {
		d.para("No vendor check was run on this case.", "", 9, mutedRGB)
	}
	for _, k := range r.Checks {
		d.check(k)
	}

	d.heading("Face and liveness evidence")
	faces := 0
	for _, k := range r.Checks {
		if k.Face != nil {
			faces++
			d.face(k)
		}
	}
	if faces == 0 {
		d.para("No vendor returned face or liveness evidence.", "", 9, mutedRGB)
	}
	d.subheading("Liveness verdicts")
	if len(r.Liveness) == 0 {
		d.para("No manual liveness verdict was recorded.", "", 9, mutedRGB)
	}
	for i, v := range r.Liveness {
		d.para(fmt.Sprintf("Verdict %d, recorded by %s at %s. Delivery to Cynopsis Artemis: %s.", i+1, v.By, v.At, v.Delivery), "B", 9, inkRGB)
		rows := append([]KV{}, v.Facts...)
		if v.DeliveryNote != "" {
			rows = append(rows, KV{"Delivery", v.DeliveryNote})
		}
		d.kv(rows)
	}

	d.heading("Decisions")
	if len(r.Decisions) == 0 && len(r.DocRulings) == 0 {
		d.para("No decision was made on this case.", "", 9, mutedRGB)
	}
	for i, x := range r.Decisions {
		d.para(fmt.Sprintf("Decision %d: %s", i+1, x.What), "B", 9, inkRGB)
		d.kv([]KV{{"Decided by", x.By}, {"At", x.At}, {"Reason", x.Reason}, {"Comment", x.Comment}, {"Second review", x.Second}})
	}
	var rows [][]string
	for _, x := range r.DocRulings {
		rows = append(rows, []string{x.At, x.By, x.What, x.Reason, x.Comment})
	}
	if len(rows) > 0 {
		d.subheading("Decisions on documents")
		d.table([]string{"When", "Who", "Decision", "Reason", "Comment"}, []float64{30, 30, 45, 40, d.width - 145}, rows, tableOpts{})
	}

	d.heading("Notes")
	if len(r.Notes) == 0 {
		d.para("No notes.", "", 9, mutedRGB)
	}
	rows = nil
	for _, n := range r.Notes {
		rows = append(rows, []string{n.At, n.By, n.Body})
	}
	if len(rows) > 0 {
		d.table([]string{"When", "Who", "Note"}, []float64{30, 32, d.width - 62}, rows, tableOpts{})
	}

	d.heading("Audit trail")
	rows = nil
	for _, e := range r.Trail {
		rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At, e.Actor, e.Did})
	}
	d.table([]string{"Event", "When", "Who", "What"}, []float64{16, 34, 48, d.width - 98}, rows, tableOpts{size: 7.5})
	if r.TrailTruncated {
		d.para(fmt.Sprintf("Only the latest %d events are listed; the audit-log export has them all.", maxTrail), "", 8, mutedRGB)
	}

	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("report: pdf: %w", err)
	}
	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, fmt.Errorf("report: pdf: %w", err)
	}
	return out.Bytes(), nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// images draws images two to a row, each scaled into its box, with a caption.
func (d *pdfDoc) images(ctx context.Context, store *images.Store, list []ReportImage) error {
	const gap, boxH = 6.0, 62.0
	boxW := (d.width - gap) / 2
	for i := 0; i < len(list); i += 2 {
		d.ensure(boxH + 19)
		y := d.GetY()
		for j := 0; j < 2 && i+j < len(list); j++ {
			im := list[i+j]
			x := d.left + float64(j)*(boxW+gap)
			if err := d.image(ctx, store, im, x, y, boxW, boxH); err != nil {
				return err
			}
		}
		d.SetXY(d.left, y+boxH+17)
	}
	return nil
}

func (d *pdfDoc) image(ctx context.Context, store *images.Store, im ReportImage, x, y, w, h float64) error {
	d.draw(lineRGB)
	d.Rect(x, y, w, h, "D")
	caption := im.Kind + " · " + im.FileName
	missing := ""
	switch {
	case im.PDF:
		missing = "A PDF original: not embedded here (see the case page)."
	case store == nil:
		missing = "The image store is not available."
	default:
		b, err := readDisplay(ctx, store, im.SHA256)
		switch {
		case errors.Is(err, images.ErrNotFound):
			missing = "The image file is missing from the store."
		case err != nil:
			return fmt.Errorf("report: image %s: %w", im.ID, err)
		default:
			name := "img-" + im.SHA256
			info := d.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(b))
			if d.Err() || info == nil {
				return fmt.Errorf("report: image %s: %w", im.ID, d.Error())
			}
			iw, ih := info.Width(), info.Height()
			scale := minF((w-2)/iw, (h-2)/ih)
			dw, dh := iw*scale, ih*scale
			d.ImageOptions(name, x+(w-dw)/2, y+(h-dh)/2, dw, dh, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
		}
	}
	if missing != "" {
		d.SetXY(x+3, y+h/2-3)
		d.font("", 8)
		d.color(mutedRGB)
		d.MultiCell(w-6, 4, missing, "", "C", false)
	}
	d.SetXY(x, y+h+1)
	d.font("B", 8)
	d.color(inkRGB)
	d.CellFormat(w, 4, printable(caption), "", 2, "L", false, 0, "")
	d.SetFont(mono, "", 6)
	d.color(mutedRGB)
	d.CellFormat(w, 3.2, "SHA-256 "+im.SHA256[:min(len(im.SHA256), 32)], "", 2, "L", false, 0, "")
	d.CellFormat(w, 3.2, "        "+im.SHA256[min(len(im.SHA256), 32):], "", 2, "L", false, 0, "")
	d.font("", 7)
	d.CellFormat(w, 3.5, fmt.Sprintf("%d × %d px, uploaded %s", im.Width, im.Height, when(im.At)), "", 2, "L", false, 0, "")
	return nil
}

func readDisplay(ctx context.Context, store *images.Store, sha string) ([]byte, error) {
	key, err := images.DisplayKey(sha)
	if err != nil {
		return nil, err
	}
	rc, _, err := store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxImageBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxImageBytes {
		return nil, fmt.Errorf("display image larger than %d bytes", maxImageBytes)
	}
	return b, nil
}

func minF(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func (d *pdfDoc) fieldTable(t FieldTable) {
	header := append([]string{"Field"}, t.Sources...)
	header = append(header, "")
	first, last := 28.0, 18.0
	rest := (d.width - first - last) / float64(len(t.Sources))
	widths := []float64{first}
	for range t.Sources {
		widths = append(widths, rest)
	}
	widths = append(widths, last)
	var rows [][]string
	for _, r := range t.Rows {
		mark := "agree"
		switch {
		case r.Mismatch:
			mark = "MISMATCH"
		case r.Sources < 2:
			mark = "—" // one source: nothing to compare
		}
		rows = append(rows, append(append([]string{r.Field}, r.Values...), mark))
	}
	d.table(header, widths, rows, tableOpts{size: 8, bad: func(i int) bool { return t.Rows[i].Mismatch }})
}

func (d *pdfDoc) mrzChecks(list []MRZReport) {
	for _, m := range list {
		title := "Read by " + m.Source
		if m.Format != "" {
			title += " (" + m.Format + ")"
		}
		d.para(title, "B", 8.5, inkRGB)
		d.SetFont(mono, "", 8)
		d.color(inkRGB)
		for _, l := range m.Lines {
			d.CellFormat(0, 4, printable(l), "", 1, "L", false, 0, "")
		}
		if m.Err != "" {
			d.para("The zone cannot be parsed: "+m.Err, "", 8.5, badRGB)
			continue
		}
		var rows [][]string
		for _, c := range m.Checks {
			res := "pass"
			if !c.OK {
				res = "FAIL"
			}
			rows = append(rows, []string{c.Name, c.Field, string(c.Expected), string(c.Found), res})
		}
		for _, p := range m.Problems {
			rows = append(rows, []string{"problem", p, "", "", "FAIL"})
		}
		d.table([]string{"Check digit", "Over", "Expected", "Printed", "Result"}, []float64{34, d.width - 34 - 54, 18, 18, 18}, rows,
			tableOpts{size: 8, mono: map[int]bool{1: true}, bad: func(i int) bool { return rows[i][4] == "FAIL" }, good: func(i int) bool { return rows[i][4] == "pass" }})
	}
}

func (d *pdfDoc) check(k ReportCheck) {
	title := k.Vendor + " (" + k.Kind + "): " + k.State
	if k.Outcome != "" {
		title += ", outcome " + k.Outcome
	}
	d.subheading(title)
	rows := []KV{{"Code", k.Code}, {"Meaning", k.Meaning}, {"Attempts", strconv.Itoa(k.Attempts)}, {"Started", whenPtr(k.Started)},
		{"Finished", whenPtr(k.Finished)}}
	var flags []string
	for _, f := range k.Flags {
		v := "ok"
		if !f.OK {
			v = "not ok"
		}
		flags = append(flags, f.Name+": "+v)
	}
	rows = append(rows, KV{"Vendor's own checks", strings.Join(flags, "; ")})
	d.kv(rows)
	if len(k.Calls) > 0 {
		var calls [][]string
		for _, c := range k.Calls {
			status := strconv.Itoa(c.Status)
			if c.Status == 0 {
				status = "no answer"
			}
			meaning := c.Meaning
			if c.Error != "" {
				meaning = strings.TrimSpace(meaning + " " + c.Error)
			}
			code := c.Code
			calls = append(calls, []string{when(c.At), c.Method + " " + c.Target, status, strconv.Itoa(c.Latency) + " ms", code, meaning, strconv.Itoa(c.Attempt)})
		}
		d.table([]string{"When", "Call", "HTTP", "Latency", "Code", "Meaning", "Try"}, []float64{30, d.width - 30 - 14 - 16 - 14 - 52 - 9, 14, 16, 14, 52, 9},
			calls, tableOpts{size: 7})
	}
}

func (d *pdfDoc) face(k ReportCheck) {
	f := k.Face
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 2, 64)
	}
	yes := func(p *bool) string {
		if p == nil {
			return ""
		}
		if *p {
			return "yes"
		}
		return "no"
	}
	d.subheading(k.Vendor)
	d.kv([]KV{{"Similarity", num(f.Similarity)}, {"Same person", yes(f.Same)}, {"Liveness score", num(f.Liveness)},
		{"Liveness fine", yes(f.LivenessFine)}, {"Deepfake score", num(f.Deepfake)}, {"Deepfake fine", yes(f.DeepfakeFine)},
		{"Failed quality checks", strings.Join(f.FailedQuality, "; ")}})
}
