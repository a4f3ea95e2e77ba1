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

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-fonts/dejavu/dejavusansmono"
	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"

	"kycdesk/internal/images"
)

// The report's fonts are DejaVu Sans (regular and bold) and DejaVu Sans Mono, embedded in every
// PDF as subsets of the glyphs it uses. A legal name must print exactly: they cover Latin with
// Latin-1, Extended-A and -B and Latin Extended Additional (Polish, Czech, Turkish, Romanian,
// Vietnamese: Ł, ş, ș, Ɓ, Nguyễn, Đặng …), IPA, Greek and Cyrillic, which PDF's own core fonts
// (Latin-1) and the Go fonts (no Vietnamese) do not. Their licence (Bitstream Vera's, DejaVu's
// changes in the public domain) allows embedding them.
const (
	sans = "dejavusans"
	mono = "dejavumono"
)

// runeSet is the set of characters of the Basic Multilingual Plane that some fonts all draw (fpdf
// writes text as UTF-16 without surrogates: nothing beyond the plane).
type runeSet [0x10000 / 64]uint64

func (s *runeSet) has(r rune) bool {
	return r >= 0 && r < 0x10000 && s[r/64]&(1<<(r%64)) != 0
}

// drawnByAll returns the characters every font of ttfs has a glyph for.
func drawnByAll(ttfs ...[]byte) *runeSet {
	var fonts []*sfnt.Font
	for _, b := range ttfs {
		f, err := sfnt.Parse(b)
		if err != nil {
			return &runeSet{} // never: the fonts are embedded; "?" for everything beyond ASCII
		}
		fonts = append(fonts, f)
	}
	var set runeSet
	var buf sfnt.Buffer
next:
	for r := rune(0x20); r < 0x10000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are no characters
		}
		for _, f := range fonts {
			if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
				continue next
			}
		}
		set[r/64] |= 1 << (r % 64)
	}
	return &set
}

var (
	glyphsOnce           sync.Once
	sansRunes, monoRunes *runeSet
)

func glyphs() (sansSet, monoSet *runeSet) {
	glyphsOnce.Do(func() {
		// Text may be drawn regular or bold: what both draw.
		sansRunes = drawnByAll(dejavusans.TTF, dejavusansbold.TTF)
		monoRunes = drawnByAll(dejavusansmono.TTF)
	})
	return sansRunes, monoRunes
}

// printable readies text for the report's sans-serif font; printableMono for its monospaced one.
func printable(s string) string {
	set, _ := glyphs()
	return printableIn(s, set)
}

func printableMono(s string) string {
	_, set := glyphs()
	return printableIn(s, set)
}

// printableIn writes text in its composed form (NFC: a name typed as "e" + combining accents
// prints as the one letter the font draws, and reads back as it was typed, canonically) and
// replaces what the font cannot draw (and control characters) with "?", so a character no font
// has shows as a visible gap rather than vanishing. Text is always printed as text: markup in a
// customer's data is shown, never interpreted.
func printableIn(s string, set *runeSet) string {
	s = strings.ToValidUTF8(s, "?")
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7F || c < 0x20 {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == utf8.RuneError:
			b.WriteByte('?')
		case r < 0x7F:
			b.WriteRune(r)
		case set.has(r):
			b.WriteRune(r)
		default:
			b.WriteByte('?')
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

// ensure starts a new page unless h millimetres are left above the bottom margin. A request for
// more than a page is capped, so that it never leaves a page empty.
func (d *pdfDoc) ensure(h float64) {
	_, pageH := d.GetPageSize()
	_, top, _, bottom := d.GetMargins()
	h = minF(h, (pageH-top-bottom)*0.6)
	if d.GetY()+h > pageH-bottom {
		d.AddPage()
	}
}

// heading starts a section; keep is the height of what must follow it on the same page (the
// start of its table), so that a heading never sits alone at the bottom of a page.
func (d *pdfDoc) heading(text string, keep float64) {
	d.ensure(14 + keep)
	d.Ln(3)
	d.font("B", 12)
	d.color(inkRGB)
	d.CellFormat(0, 7, printable(text), "", 1, "L", false, 0, "")
	d.draw(lineRGB)
	d.Line(d.left, d.GetY(), d.right, d.GetY())
	d.Ln(2)
}

// subheading titles a part of a section; keep is as for heading.
func (d *pdfDoc) subheading(text string, keep float64) {
	d.ensure(9 + keep)
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

// kvRows are labelled values as the rows of a two-column table (empty values left out).
func kvRows(rows []KV) [][]string {
	var list [][]string
	for _, r := range rows {
		if r.Value != "" {
			list = append(list, []string{r.Key, r.Value})
		}
	}
	return list
}

func (d *pdfDoc) kvWidths() []float64 { return []float64{45, d.width - 45} }

// kv writes labelled values in two columns of text.
func (d *pdfDoc) kv(rows []KV) {
	d.table(nil, d.kvWidths(), kvRows(rows), tableOpts{})
}

// kvHeight is the height of the first n rows of kv(rows).
func (d *pdfDoc) kvHeight(rows []KV, n int) float64 {
	return d.tableHeight(nil, d.kvWidths(), kvRows(rows), tableOpts{}, n)
}

type tableOpts struct {
	size float64      // font size (default 8.5)
	mono map[int]bool // columns in the monospaced font
	// mark says how to draw a cell: "bad" (red on pink: a mismatch, a failed check), "good"
	// (green text: a passed check) or "" (plain).
	mark func(row, col int) string
}

func (o tableOpts) fontSize() float64 {
	if o.size == 0 {
		return 8.5
	}
	return o.size
}

func (o tableOpts) lineHeight() float64 { return o.fontSize() * 0.42 }

// printable readies a cell's text for its column's font.
func (o tableOpts) printable(col int, s string) string {
	if o.mono[col] {
		return printableMono(s)
	}
	return printable(s)
}

// cellPad is the space between a cell's border and its text (fpdf adds its cell margin inside).
const cellPad = 1.2

func (d *pdfDoc) cellFont(o tableOpts, col int, bold bool) {
	switch size := o.fontSize(); {
	case o.mono[col]:
		d.SetFont(mono, "", size-0.5)
	case bold:
		d.font("B", size)
	default:
		d.font("", size)
	}
}

// softBreaks are the characters after which a word too long for its column may be broken (a
// URL's slashes, a code's dots and dashes). A word is cut between other letters only when it
// cannot fit any other way.
const softBreaks = "/?&=-_.,:;"

// wrap splits text into lines that fit a cell w wide in the current font: at spaces, keeping
// words whole; a word wider than the cell is broken after a soft break, else where it must.
func (d *pdfDoc) wrap(text string, w float64) []string {
	avail := w - 2*d.GetCellMargin()
	space := d.GetStringWidth(" ")
	var out []string
	for _, para := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		line, lineW := "", 0.0
		for _, word := range strings.Fields(para) {
			ww := d.GetStringWidth(word)
			if line != "" && lineW+space+ww <= avail {
				line, lineW = line+" "+word, lineW+space+ww
				continue
			}
			if line != "" {
				out = append(out, line)
			}
			if ww > avail {
				pieces := d.breakWord(word, avail)
				out = append(out, pieces[:len(pieces)-1]...)
				word = pieces[len(pieces)-1]
				ww = d.GetStringWidth(word)
			}
			line, lineW = word, ww
		}
		out = append(out, line)
	}
	return out
}

// breakWord cuts a word too wide for avail into pieces that fit, each ending after the last soft
// break that fits where there is one.
func (d *pdfDoc) breakWord(word string, avail float64) []string {
	rs := []rune(word)
	var out []string
	for start := 0; start < len(rs); {
		end, soft, w := start, -1, 0.0
		for end < len(rs) {
			cw := d.GetStringWidth(string(rs[end]))
			if w+cw > avail && end > start {
				break
			}
			w += cw
			end++
			if strings.ContainsRune(softBreaks, rs[end-1]) {
				soft = end
			}
		}
		if end < len(rs) && soft > start {
			end = soft
		}
		out = append(out, string(rs[start:end]))
		start = end
	}
	return out
}

// rowLines splits a row's cells into lines for the column widths; h is the row's height.
func (d *pdfDoc) rowLines(cells []string, widths []float64, o tableOpts, bold bool) (lines [][]string, h float64) {
	lines = make([][]string, len(cells))
	most := 1
	for i, c := range cells {
		d.cellFont(o, i, bold)
		lines[i] = d.wrap(o.printable(i, c), widths[i]-2*cellPad)
		most = max(most, len(lines[i]))
	}
	return lines, float64(most)*o.lineHeight() + 2*cellPad
}

// tableHeight is the height of a table's header and first n rows: what a heading before the
// table keeps with it.
func (d *pdfDoc) tableHeight(header []string, widths []float64, rows [][]string, o tableOpts, n int) float64 {
	var h float64
	if header != nil {
		_, hh := d.rowLines(header, widths, o, true)
		h += hh
	}
	for i := 0; i < n && i < len(rows); i++ {
		_, rh := d.rowLines(rows[i], widths, o, false)
		h += rh
	}
	return h
}

// fitWidths shares total among a table's columns: each first gets the width of its longest word,
// so that no word is cut, then what it needs to keep its text on one line, then an even share of
// what is left. ok is false when the longest words cannot all fit: the widths are then in
// proportion to them, and words are cut.
func (d *pdfDoc) fitWidths(header []string, rows [][]string, total float64, o tableOpts) (widths []float64, ok bool) {
	n := len(header)
	least, natural := make([]float64, n), make([]float64, n)
	inset := 2*cellPad + 2*d.GetCellMargin() + 0.3
	measure := func(cells []string, bold bool) {
		for i, c := range cells {
			d.cellFont(o, i, bold)
			for _, para := range strings.Split(o.printable(i, c), "\n") {
				words := strings.Fields(para)
				natural[i] = max(natural[i], d.GetStringWidth(strings.Join(words, " "))+inset)
				for _, w := range words {
					least[i] = max(least[i], d.GetStringWidth(w)+inset)
				}
			}
		}
	}
	measure(header, true)
	for _, r := range rows {
		measure(r, false)
	}
	widths = make([]float64, n)
	var sumLeast, sumNatural float64
	for i := range least {
		natural[i] = max(natural[i], least[i])
		sumLeast += least[i]
		sumNatural += natural[i]
	}
	switch {
	case sumLeast > total:
		for i := range widths {
			widths[i] = total * least[i] / sumLeast
		}
		return widths, false
	case sumNatural <= total:
		for i := range widths {
			widths[i] = natural[i] + (total-sumNatural)/float64(n)
		}
	default:
		spare, want := total-sumLeast, sumNatural-sumLeast
		for i := range widths {
			widths[i] = least[i] + spare*(natural[i]-least[i])/want
		}
	}
	return widths, true
}

// cellStyle is how one cell is drawn.
type cellStyle struct {
	bg   *[3]int
	text [3]int
}

// table draws rows with wrapped cells. The header is never left alone at the bottom of a page,
// and is repeated after a page break.
func (d *pdfDoc) table(header []string, widths []float64, rows [][]string, o tableOpts) {
	_, pageH := d.GetPageSize()
	_, _, _, bottom := d.GetMargins()
	styles := make([]cellStyle, len(widths))
	drawHeader := func() {
		for i := range styles {
			styles[i] = cellStyle{&headSoft, inkRGB}
		}
		ls, h := d.rowLines(header, widths, o, true)
		d.rowAt(ls, widths, h, true, styles, o)
	}
	if header != nil {
		d.ensure(d.tableHeight(header, widths, rows, o, 1))
		drawHeader()
	}
	for i, r := range rows {
		ls, h := d.rowLines(r, widths, o, false)
		if d.GetY()+h > pageH-bottom {
			d.AddPage()
			if header != nil {
				drawHeader()
			}
		}
		for col := range styles {
			styles[col] = cellStyle{text: inkRGB}
			if o.mark == nil {
				continue
			}
			switch o.mark(i, col) {
			case "bad":
				styles[col] = cellStyle{&badSoft, badRGB}
			case "good":
				styles[col].text = okRGB
			}
		}
		d.rowAt(ls, widths, h, false, styles, o)
	}
	d.Ln(1.5)
}

func (d *pdfDoc) rowAt(ls [][]string, widths []float64, h float64, bold bool, styles []cellStyle, o tableOpts) {
	x, y := d.left, d.GetY()
	lh := o.lineHeight()
	d.draw(lineRGB)
	for i, cell := range ls {
		style := "D"
		if bg := styles[i].bg; bg != nil {
			d.fill(*bg)
			style = "FD"
		}
		d.Rect(x, y, widths[i], h, style)
		d.cellFont(o, i, bold)
		d.color(styles[i].text)
		for j, line := range cell {
			d.SetXY(x+cellPad, y+cellPad+float64(j)*lh)
			d.CellFormat(widths[i]-2*cellPad, lh, line, "", 0, "L", false, 0, "")
		}
		x += widths[i]
	}
	d.SetXY(d.left, y+h)
}

// newPDFDoc starts an A4 document with the report's fonts and margins.
func newPDFDoc() *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(sans, "", dejavusans.TTF)
	f.AddUTF8FontFromBytes(sans, "B", dejavusansbold.TTF)
	f.AddUTF8FontFromBytes(mono, "", dejavusansmono.TTF)
	f.SetMargins(15, 20, 15)
	f.SetAutoPageBreak(true, 20)
	pageW, _ := f.GetPageSize()
	return &pdfDoc{Fpdf: f, left: 15, right: pageW - 15, width: pageW - 30}
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
	d := newPDFDoc()
	f := d.Fpdf
	f.AliasNbPages("{nb}")
	f.SetCreationDate(meta.At)
	f.SetModificationDate(meta.At)
	f.SetTitle(printable("Case report: "+r.Name), true)
	f.SetSubject("kycdesk case "+r.CaseID.String(), true)
	f.SetAuthor(printable(meta.By), true)
	f.SetCreator("kycdesk", true)
	f.SetProducer("kycdesk", true)
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

	d.heading("Customer", d.kvHeight(r.Customer, 3))
	d.kv(r.Customer)

	for i, doc := range r.Documents {
		d.heading(fmt.Sprintf("Document %d: %s", i+1, doc.Title), d.kvHeight(doc.Facts, 3))
		d.kv(doc.Facts)
		if err := d.images(ctx, store, doc.Images); err != nil {
			return nil, err
		}
		if len(doc.Fields.Rows) > 0 {
			d.fieldTable(doc.Fields)
		}
		if len(doc.MRZ) > 0 {
			d.mrzChecks(doc.MRZ)
		}
	}
	if len(r.Selfies) > 0 {
		d.heading("Selfies", 80)
		if err := d.images(ctx, store, r.Selfies); err != nil {
			return nil, err
		}
	}

	d.heading("Vendor checks", 20)
	if len(r.Checks) == 0 {
		d.para("No vendor check was run on this case.", "", 9, mutedRGB)
	}
	for _, k := range r.Checks {
		d.check(k)
	}

	d.heading("Face and liveness evidence", 20)
	faces := 0
	for _, k := range r.Checks {
		if k.Face {
			faces++
			d.face(k)
		}
	}
	if faces == 0 {
		d.para("No vendor returned face or liveness evidence.", "", 9, mutedRGB)
	}
	d.subheading("Liveness verdicts", 20)
	if len(r.Liveness) == 0 {
		d.para("No manual liveness verdict was recorded in this case.", "", 9, mutedRGB)
	}
	for _, line := range r.ArtemisHolds {
		d.para(line, "B", 9, inkRGB)
	}
	if len(r.ArtemisHolds) > 0 {
		d.Ln(1.5)
	}
	for _, v := range r.Liveness {
		title := fmt.Sprintf("Verdict %d", v.N)
		if v.Document != "" {
			title += " on " + v.Document
		}
		title += fmt.Sprintf(", recorded by %s at %s. Delivery to Cynopsis Artemis: %s.", v.By, v.At, v.Delivery)
		if v.Held {
			title += " Artemis holds this verdict."
		}
		rows := append([]KV{}, v.Facts...)
		if v.DeliveryNote != "" {
			rows = append(rows, KV{"Delivery", v.DeliveryNote})
		}
		d.ensure(10 + d.kvHeight(rows, 3))
		d.para(title, "B", 9, inkRGB)
		d.kv(rows)
	}

	d.heading("Decisions", 20)
	if len(r.Decisions) == 0 && len(r.DocRulings) == 0 {
		d.para("No decision was made on this case.", "", 9, mutedRGB)
	}
	for i, x := range r.Decisions {
		rows := []KV{{"Decided by", x.By}, {"At", x.At}, {"Reason", x.Reason}, {"Comment", x.Comment}, {"Second review", x.Second}}
		d.ensure(6 + d.kvHeight(rows, 3))
		d.para(fmt.Sprintf("Decision %d: %s", i+1, x.What), "B", 9, inkRGB)
		d.kv(rows)
	}
	var rows [][]string
	for _, x := range r.DocRulings {
		rows = append(rows, []string{x.At, x.By, x.What, x.Reason, x.Comment})
	}
	if len(rows) > 0 {
		header, widths := []string{"When", "Who", "Decision", "Reason", "Comment"}, []float64{30, 30, 45, 40, d.width - 145}
		d.subheading("Decisions on documents", d.tableHeight(header, widths, rows, tableOpts{}, 2))
		d.table(header, widths, rows, tableOpts{})
	}

	rows = nil
	for _, n := range r.Notes {
		rows = append(rows, []string{n.At, n.By, n.Body})
	}
	header, widths := []string{"When", "Who", "Note"}, []float64{30, 32, d.width - 62}
	d.heading("Notes", d.tableHeight(header, widths, rows, tableOpts{}, 2))
	if len(r.Notes) == 0 {
		d.para("No notes.", "", 9, mutedRGB)
	} else {
		d.table(header, widths, rows, tableOpts{})
	}

	rows = nil
	for _, e := range r.Trail {
		rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At, e.Actor, e.Did})
	}
	header, widths = []string{"Event", "When", "Who", "What"}, []float64{16, 34, 48, d.width - 98}
	trail := tableOpts{size: 7.5}
	d.heading("Audit trail", d.tableHeight(header, widths, rows, trail, 3))
	d.table(header, widths, rows, trail)
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

// fieldTable draws the field comparison: a column per source, sized to its text so that words
// stay whole (the font shrinks a little before any word is cut), and only the values that
// disagree marked, with who disagrees in the last column, as the review workspace says it.
func (d *pdfDoc) fieldTable(t FieldTable) {
	header := append(append([]string{"Field"}, t.Sources...), "Agreement")
	var rows [][]string
	for _, r := range t.Rows {
		mark := "agree"
		switch {
		case r.Mismatch:
			mark = r.Status
		case r.Sources < 2:
			mark = "—" // one source: nothing to compare
		}
		rows = append(rows, append(append([]string{r.Field}, r.Values...), mark))
	}
	last := len(header) - 1
	var o tableOpts
	var widths []float64
	for _, size := range []float64{8, 7.5, 7, 6.5} {
		o = tableOpts{size: size, mark: func(i, col int) string {
			r := t.Rows[i]
			if (col == last && r.Mismatch) || (col > 0 && col < last && r.Odd[col-1]) {
				return "bad"
			}
			return ""
		}}
		var ok bool
		if widths, ok = d.fitWidths(header, rows, d.width, o); ok {
			break
		}
	}
	d.subheading("Field comparison", d.tableHeight(header, widths, rows, o, 3))
	d.table(header, widths, rows, o)
	for _, r := range t.Rows {
		if r.Mismatch && r.Summary != "" {
			d.para(r.Field+": "+r.Summary+".", "", 8, badRGB)
		}
	}
	d.Ln(1)
}

// mrzChecks draws kycdesk's check of each distinct zone the vendors read, naming the vendors that
// read it.
func (d *pdfDoc) mrzChecks(list []MRZReport) {
	header := []string{"Check digit", "Over", "Expected", "Printed", "Result"}
	widths := []float64{34, d.width - 34 - 54, 18, 18, 18}
	for i, m := range list {
		title := "Read by " + m.Source()
		if m.Format != "" {
			title += " (" + m.Format + ")"
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
		o := tableOpts{size: 8, mono: map[int]bool{1: true}, mark: func(i, _ int) string {
			switch rows[i][4] {
			case "FAIL":
				return "bad"
			case "pass":
				return "good"
			}
			return ""
		}}
		// The zone's title, its lines and the start of its table stay together.
		keep := 5 + 4*float64(len(m.Lines)) + d.tableHeight(header, widths, rows, o, 3)
		if i == 0 {
			d.subheading("MRZ checks (recomputed by kycdesk)", keep)
		} else {
			d.ensure(keep)
		}
		d.para(title, "B", 8.5, inkRGB)
		d.SetFont(mono, "", 8)
		d.color(inkRGB)
		for _, l := range m.Lines {
			d.CellFormat(0, 4, printableMono(l), "", 1, "L", false, 0, "")
		}
		if m.Err != "" {
			d.para("The zone cannot be parsed: "+m.Err, "", 8.5, badRGB)
			continue
		}
		d.table(header, widths, rows, o)
	}
}

func (d *pdfDoc) check(k ReportCheck) {
	title := k.Vendor + " (" + k.Kind + "): " + k.State
	if k.Outcome != "" {
		title += ", outcome " + k.Outcome
	}
	facts := []KV{{"Code", k.Code}, {"Meaning", k.Meaning}, {"Attempts", strconv.Itoa(k.Attempts)}, {"Started", whenPtr(k.Started)},
		{"Finished", whenPtr(k.Finished)}}
	if k.Face {
		facts = append(facts, KV{"Face evidence", "Its scores are under Face and liveness evidence."})
	}
	d.subheading(title, d.kvHeight(facts, 3))
	d.kv(facts)
	if len(k.Items) > 0 {
		// What the vendor found, in the review workspace's words, failures first.
		var rows [][]string
		for _, it := range k.Items {
			label := it.Label
			if it.Detail != "" {
				label += " (" + it.Detail + ")"
			}
			res := ""
			switch it.State {
			case "ok":
				res = "pass"
			case "bad":
				res = "fail"
			}
			rows = append(rows, []string{label, res})
		}
		header, widths := []string{"The vendor's own checks", "Result"}, []float64{d.width - 18, 18}
		o := tableOpts{size: 8, mark: func(i, _ int) string {
			switch k.Items[i].State {
			case "bad":
				return "bad"
			case "ok":
				return "good"
			}
			return ""
		}}
		d.ensure(d.tableHeight(header, widths, rows, o, 2))
		d.table(header, widths, rows, o)
	}
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
			calls = append(calls, []string{when(c.At), c.Method + " " + c.Target, status, strconv.Itoa(c.Latency) + " ms", c.Code, meaning, strconv.Itoa(c.Attempt)})
		}
		d.table([]string{"When", "Call", "HTTP", "Latency", "Code", "Meaning", "Try"}, []float64{30, d.width - 30 - 14 - 16 - 14 - 52 - 9, 14, 16, 14, 52, 9},
			calls, tableOpts{size: 7})
	}
}

// face draws a face check's scores and quality checks as the face panel shows them.
func (d *pdfDoc) face(k ReportCheck) {
	var rows []KV
	for _, s := range k.Scores {
		v := s.Value
		if s.Verdict != "" {
			v += ": " + s.Verdict
		}
		rows = append(rows, KV{s.Label, v})
	}
	quality := "Every quality check passed."
	if len(k.Quality) > 0 {
		quality = strings.Join(k.Quality, "\n")
	}
	rows = append(rows, KV{"Image quality", quality})
	if k.Outcome != "" {
		rows = append(rows, KV{"Vendor's verdict", k.Outcome})
	}
	d.subheading(k.Vendor, d.kvHeight(rows, 3))
	d.kv(rows)
}
