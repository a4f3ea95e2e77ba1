package review

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"kycdesk/internal/customers"
	"kycdesk/internal/normalize"
	"kycdesk/internal/vendors"
	"kycdesk/internal/words"
	"kycdesk/web"
)

// Source keys of the columns that are not vendors.
const (
	SourceDeclared = "declared"
	SourceMRZ      = "mrz"
)

// fieldLabels name the canonical fields for reviewers.
var fieldLabels = map[vendors.FieldName]string{
	vendors.Surname: "Surname", vendors.GivenNames: "Given names", vendors.FullName: "Full name",
	vendors.DateOfBirth: "Date of birth", vendors.Sex: "Sex", vendors.Nationality: "Nationality",
	vendors.DocumentNumber: "Document number", vendors.PersonalNumber: "Personal number",
	vendors.IssueDate: "Issue date", vendors.ExpiryDate: "Expiry date", vendors.IssuingCountry: "Issuing country",
	vendors.Address: "Address", vendors.DocumentType: "Document type", vendors.MRZLine1: "MRZ line 1",
	vendors.MRZLine2: "MRZ line 2", vendors.MRZLine3: "MRZ line 3",
}

// FieldLabel names a canonical field in words.
func FieldLabel(f vendors.FieldName) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return strings.ReplaceAll(string(f), "_", " ")
}

// column is one source of values: a vendor's result, the declaration or the MRZ. A vendor that
// refused the document or did not finish keeps its column, empty, with a note that says so.
type column struct {
	key, label, kind string
	outcome          string
	note             string // "refused", "did not finish"
	title            string
	fields           map[vendors.FieldName]vendors.Field
}

func (c column) value(f vendors.FieldName) string { return strings.TrimSpace(c.fields[f].Value) }

// declared is what the customer and the document record say.
func declared(s *Sources) map[vendors.FieldName]vendors.Field {
	cu, d := s.Customer, s.Document
	out := map[vendors.FieldName]vendors.Field{}
	set := func(f vendors.FieldName, v string) {
		if strings.TrimSpace(v) != "" {
			out[f] = vendors.Field{Name: f, Value: v}
		}
	}
	set(vendors.Surname, cu.Surname)
	set(vendors.GivenNames, cu.GivenNames)
	set(vendors.FullName, customers.Name(cu))
	if cu.DateOfBirth != nil {
		set(vendors.DateOfBirth, cu.DateOfBirth.Format("2006-01-02"))
	}
	set(vendors.Nationality, cu.Nationality)
	set(vendors.Address, cu.Address)
	set(vendors.DocumentNumber, d.Number)
	if d.IssueDate != nil {
		set(vendors.IssueDate, d.IssueDate.Format("2006-01-02"))
	}
	if d.ExpiryDate != nil {
		set(vendors.ExpiryDate, d.ExpiryDate.Format("2006-01-02"))
	}
	set(vendors.IssuingCountry, d.IssuingCountry)
	set(vendors.DocumentType, string(d.Type))
	return out
}

// columns lists the sources in page order: each vendor with a result, a refusal or a check that did
// not finish, the declaration, the MRZ.
func columns(s *Sources, z *zone) []column {
	var cols []column
	for _, v := range s.Vendors {
		if v.Done == nil {
			if c, ok := endedColumn(v); ok {
				cols = append(cols, c)
			}
			continue
		}
		c := column{key: string(v.Vendor), label: VendorLabel(v.Vendor), kind: "vendor", outcome: string(v.Result.Outcome),
			fields: map[vendors.FieldName]vendors.Field{}}
		c.title = c.label + ": " + outcomeWords(v.Result.Outcome)
		if v.Done.FinishedAt != nil {
			c.title += ", " + web.Stamp(*v.Done.FinishedAt)
		}
		for _, f := range v.Result.Fields {
			if _, seen := c.fields[f.Name]; !seen && strings.TrimSpace(f.Value) != "" {
				c.fields[f.Name] = f
			}
		}
		cols = append(cols, c)
	}
	cols = append(cols, column{key: SourceDeclared, label: "Declared", kind: "declared", fields: declared(s),
		title: "What the customer and the document record say"})
	mc := column{key: SourceMRZ, label: "MRZ", kind: "mrz", fields: map[vendors.FieldName]vendors.Field{},
		title: "The machine-readable zone as kycdesk parsed it"}
	if z != nil {
		for f, v := range mrzValues(z.m) {
			mc.fields[f] = vendors.Field{Name: f, Value: v}
		}
		mc.title += " (" + z.from + ")"
	}
	return append(cols, mc)
}

// endedColumn is the empty column of a vendor that refused the document or did not finish.
func endedColumn(v VendorRun) (column, bool) {
	c := column{key: string(v.Vendor), label: VendorLabel(v.Vendor), kind: "vendor", fields: map[vendors.FieldName]vendors.Field{}}
	switch {
	case v.Refused != nil:
		c.outcome, c.note = string(vendors.OutcomeFail), "refused"
		c.title = c.label + " refused the document: " + codeWords(v.Refused.Code, v.Refused.Reason)
		if v.Refused.FinishedAt != nil {
			c.title += ", " + web.Stamp(*v.Refused.FinishedAt)
		}
	case v.Unfinished != nil:
		c.note = "did not finish"
		c.title = c.label + " did not finish: " + codeWords(v.Unfinished.Code, v.Unfinished.Reason)
	default:
		return c, false
	}
	return c, true
}

func outcomeWords(o vendors.Outcome) string {
	switch o {
	case vendors.OutcomePass:
		return "passed"
	case vendors.OutcomeFail:
		return "failed"
	case vendors.OutcomeReview:
		return "asks for a review"
	}
	return "no verdict"
}

// compareField compares one field across the columns.
func compareField(s *Sources, cols []column, f vendors.FieldName) normalize.Comparison {
	vals := map[string]string{}
	for _, c := range cols {
		if v := c.value(f); v != "" {
			vals[c.key] = v
		}
	}
	return normalize.CompareAt(f, vals, s.Now)
}

// groupLetter names agreement groups A, B, C …
func groupLetter(i int) string { return string(rune('A' + i%26)) }

// fieldsPanel builds the field comparison.
func fieldsPanel(s *Sources, z *zone, frames map[string]string, caseHref string) (web.ReviewFields, []vendors.FieldName) {
	cols := columns(s, z)
	p := web.ReviewFields{LowThreshold: percent(s.Settings.LowConfidence), CaseHref: caseHref, NoVendors: len(s.Done()) == 0}
	if z != nil {
		p.MRZSource = z.from
	}
	for _, c := range cols {
		p.Sources = append(p.Sources, web.ReviewSource{Key: c.key, Label: c.label, Kind: c.kind, Outcome: c.outcome, Note: c.note, Title: c.title})
		if c.note != "" {
			p.Ended = append(p.Ended, web.ReviewSource{Key: c.key, Label: c.label, Kind: c.kind, Outcome: c.outcome, Note: c.note, Title: c.title})
		}
	}
	label := map[string]string{}
	order := make([]string, 0, len(cols))
	for _, c := range cols {
		label[c.key] = c.label
		order = append(order, c.key)
	}
	var mismatched []vendors.FieldName
	for _, f := range vendors.CanonicalFields {
		cmp := compareField(s, cols, f)
		if len(cmp.Readings) == 0 {
			continue
		}
		maj, hasMaj := cmp.Majority()
		row := web.FieldRow{Name: string(f), Label: FieldLabel(f), Disagree: cmp.Disagree}
		row.Status, row.Summary = Agreement(cmp, order, label)
		if cmp.Disagree {
			mismatched = append(mismatched, f)
			p.Mismatches++
		}
		for _, c := range cols {
			cell := web.FieldCell{Source: c.key, Label: c.label + " · " + FieldLabel(f)}
			r, ok := cmp.Readings[c.key]
			if !ok {
				cell.Empty = true
				row.Cells = append(row.Cells, cell)
				continue
			}
			fld := c.fields[f]
			cell.Value = r.Raw
			if showNormal(f, r.Value) {
				cell.Normal = r.Normal
			}
			cell.Note = r.Note
			if cmp.Disagree {
				cell.Minority = hasMaj && cmp.Groups[r.Group].Key != maj.Key
				// Letters name the groups only when colour cannot: a split without a majority, or
				// more than two readings.
				if !hasMaj || len(cmp.Groups) > 2 {
					cell.Group = groupLetter(r.Group)
				}
			}
			title := c.label + " reads " + r.Raw
			if r.Normal != "" && !strings.EqualFold(r.Normal, r.Raw) {
				title += " (" + r.Normal + ")"
			}
			if r.Note != "" {
				title += " = " + r.Note
			}
			if fld.Confidence != nil {
				cell.Confidence = percent(*fld.Confidence)
				cell.Low = *fld.Confidence < s.Settings.LowConfidence
				title += ", confidence " + cell.Confidence
				if cell.Low {
					row.Low = true
					p.LowCount++
				}
			}
			if fld.Box != nil {
				if frame := frames[fld.Box.Side]; frame != "" {
					cell.Box, cell.Frame = corners(fld.Box), frame
					row.HasBox = true
					title += ". Click to see where it was read."
				}
			}
			switch {
			case cell.Minority:
				cell.Kind = "mismatch"
			case cell.Low:
				cell.Kind = "warn"
			default:
				cell.Kind = "match"
			}
			cell.Title = title
			row.Cells = append(row.Cells, cell)
		}
		p.Rows = append(p.Rows, row)
	}
	return p, mismatched
}

// showNormal says whether a cell should show its normalised value under the raw one: when the
// normalisation is what makes two different spellings agree (a date format, a country name).
func showNormal(f vendors.FieldName, v normalize.Value) bool {
	if !v.Understood || v.Normal == "" || strings.EqualFold(strings.TrimSpace(v.Raw), v.Normal) {
		return false
	}
	switch normalize.KindOf(f) {
	case normalize.KindDate, normalize.KindCountry, normalize.KindSex, normalize.KindDocumentType:
		return true
	}
	return false
}

// Agreement says in a few characters and in a sentence which sources agree ("✓", "≠ Argos",
// "≠ split"), naming sources by label in the columns' order (the keys of order). The case
// report's field comparison says it in the same words.
func Agreement(cmp normalize.Comparison, order []string, label map[string]string) (string, string) {
	names := func(keys []string) string {
		// In column order, not alphabetical: the reader scans the columns left to right.
		var ls []string
		for _, o := range order {
			for _, k := range keys {
				if k == o {
					ls = append(ls, label[k])
				}
			}
		}
		return words.Join(ls)
	}
	switch {
	case len(cmp.Readings) == 1:
		for k := range cmp.Readings {
			return "·", "Only " + label[k] + " gives this field"
		}
	case !cmp.Disagree:
		return "✓", fmt.Sprintf("All %d sources agree", len(cmp.Readings))
	}
	if maj, ok := cmp.Majority(); ok {
		var minority []string
		var parts []string
		for _, g := range cmp.Groups[1:] {
			minority = append(minority, g.Sources...)
			parts = append(parts, names(g.Sources)+" "+verb(len(g.Sources), "reads", "read")+" "+g.Value)
		}
		status := "≠ " + names(minority)
		if len(minority) > 2 {
			status = "≠ " + strconv.Itoa(len(minority)) + " sources"
		}
		return status, names(maj.Sources) + " " + verb(len(maj.Sources), "gives", "agree on") + " " + maj.Value + "; " + strings.Join(parts, "; ")
	}
	var parts []string
	for i, g := range cmp.Groups {
		parts = append(parts, groupLetter(i)+": "+names(g.Sources)+" ("+g.Value+")")
	}
	return "≠ split", "The sources split: " + strings.Join(parts, "; ")
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func percent(f float64) string { return strconv.Itoa(int(math.Round(f*100))) + "%" }

// corners writes a box's corners as the JSON the viewer's drawBox takes: [[x,y], …] in image pixels.
func corners(b *vendors.Box) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, p := range b.Corners {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("[" + num(p.X) + "," + num(p.Y) + "]")
	}
	sb.WriteByte(']')
	return sb.String()
}

func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}
