package review

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"kycdesk/internal/mrz"
	"kycdesk/internal/normalize"
	"kycdesk/internal/vendors"
	"kycdesk/internal/words"
	"kycdesk/web"
)

// zone is the MRZ the workspace uses, and where it came from.
type zone struct {
	m    *mrz.MRZ
	from string // "the zone Apptenticate read", "the zone you typed"
	// vendor is the vendor whose zone it is, "" for a typed one.
	vendor vendors.Name
}

// candidate is one vendor's MRZ string and how it parsed.
type candidate struct {
	vendor vendors.Name
	text   string
	m      *mrz.MRZ
	err    error
}

// mrzText is the zone a vendor read: its MRZ line fields, else the whole zone it kept as extra.
func mrzText(res vendors.Result) string {
	var lines []string
	for _, f := range []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3} {
		for _, fl := range res.Fields {
			if fl.Name == f && strings.TrimSpace(fl.Value) != "" {
				lines = append(lines, strings.TrimSpace(fl.Value))
				break
			}
		}
	}
	if len(lines) > 0 {
		return strings.Join(lines, "\n")
	}
	for _, k := range []string{"full_mrz", "mrz_raw_string", "mrz", "mrz_text"} {
		if v := strings.TrimSpace(res.Extra[k]); v != "" {
			return v
		}
	}
	return ""
}

// candidates parses every vendor's MRZ, in page order.
func candidates(s *Sources) []candidate {
	var out []candidate
	for _, v := range s.Done() {
		text := mrzText(v.Result)
		if text == "" {
			continue
		}
		m, err := mrz.ParseAt(text, s.Now)
		out = append(out, candidate{vendor: v.Vendor, text: text, m: m, err: err})
	}
	return out
}

// pick returns the zone of the first vendor whose MRZ parses.
func pick(cands []candidate) *zone {
	for _, c := range cands {
		if c.err == nil {
			return &zone{m: c.m, from: "the zone " + VendorLabel(c.vendor) + " read", vendor: c.vendor}
		}
	}
	return nil
}

// mrzValues are the canonical fields the zone gives.
func mrzValues(m *mrz.MRZ) map[vendors.FieldName]string {
	out := map[vendors.FieldName]string{}
	set := func(f vendors.FieldName, v string) {
		if strings.TrimSpace(v) != "" {
			out[f] = v
		}
	}
	set(vendors.Surname, m.Surname)
	set(vendors.GivenNames, m.GivenNames)
	set(vendors.DateOfBirth, m.BirthDate.String())
	set(vendors.Sex, m.Sex)
	set(vendors.Nationality, m.Nationality)
	set(vendors.DocumentNumber, m.DocumentNumber)
	switch {
	case m.PersonalNumber != "":
		set(vendors.PersonalNumber, m.PersonalNumber)
	case m.Format == mrz.TD1:
		// TD1 cards carry the personal number in the first optional field.
		set(vendors.PersonalNumber, m.OptionalData1)
	}
	set(vendors.ExpiryDate, m.ExpiryDate.String())
	set(vendors.IssuingCountry, m.IssuingState)
	if t, ok := normalize.DocumentType(m.DocumentCode); ok {
		set(vendors.DocumentType, t)
	}
	for i, l := range m.Lines {
		set([]vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}[min(i, 2)], l)
	}
	return out
}

// nameTruncated reports whether the zone's name field is full, so the names may be cut short.
func nameTruncated(m *mrz.MRZ) bool {
	var field string
	switch {
	case m.Format == mrz.TD1 && len(m.Lines) == 3:
		field = m.Lines[2]
	case len(m.Lines) >= 1 && len(m.Lines[0]) > 5:
		field = m.Lines[0][5:]
	}
	return field != "" && !strings.HasSuffix(field, "<")
}

// crossFields are the fields the MRZ is checked against the visual zone on.
var crossFields = []vendors.FieldName{
	vendors.Surname, vendors.GivenNames, vendors.DocumentNumber, vendors.Nationality, vendors.DateOfBirth,
	vendors.Sex, vendors.ExpiryDate, vendors.IssuingCountry, vendors.PersonalNumber,
}

// crossCheck compares the zone's fields with what the vendors read in the visual zone (the
// declaration when no vendor has read the document).
func crossCheck(s *Sources, m *mrz.MRZ) []web.CrossRow {
	zoneVals := mrzValues(m)
	visual := s.Done()
	var rows []web.CrossRow
	for _, f := range crossFields {
		mv := zoneVals[f]
		vals := map[string]string{}
		var order []string
		for _, v := range visual {
			for _, fl := range v.Result.Fields {
				if fl.Name == f && strings.TrimSpace(fl.Value) != "" {
					vals[string(v.Vendor)] = fl.Value
					order = append(order, string(v.Vendor))
					break
				}
			}
		}
		labels := map[string]string{}
		for _, k := range order {
			labels[k] = VendorLabel(vendors.Name(k))
		}
		if len(vals) == 0 {
			if d, ok := declared(s)[f]; ok {
				vals[SourceDeclared], labels[SourceDeclared] = d.Value, "the declaration"
				order = append(order, SourceDeclared)
			}
		}
		if mv == "" && len(vals) == 0 {
			continue
		}
		row := web.CrossRow{Label: FieldLabel(f), MRZ: mv}
		if mv == "" {
			row.State, row.Detail = "none", "not in this zone"
			row.Visual = firstValue(vals, order)
			rows = append(rows, row)
			continue
		}
		if len(vals) == 0 {
			row.State, row.Detail = "none", "no visual-zone reading to compare with"
			rows = append(rows, row)
			continue
		}
		all := map[string]string{SourceMRZ: mv}
		for k, v := range vals {
			all[k] = v
		}
		cmp := normalize.CompareAt(f, all, s.Now)
		row.MRZ = cmp.Readings[SourceMRZ].Normal
		var agree, differ []string
		truncated := false
		for _, k := range order {
			if cmp.Agree(SourceMRZ, k) {
				agree = append(agree, labels[k])
				continue
			}
			if (f == vendors.Surname || f == vendors.GivenNames) && nameTruncated(m) &&
				strings.HasPrefix(normalize.NameKey(vals[k], false), normalize.NameKey(mv, false)) {
				agree = append(agree, labels[k])
				truncated = true
				continue
			}
			differ = append(differ, labels[k]+" reads "+cmp.Readings[k].Normal)
		}
		if maj, ok := visualMajority(cmp); ok {
			row.Visual = maj
		} else {
			row.Visual = cmp.Readings[order[0]].Normal
		}
		switch {
		case len(differ) == 0:
			row.State, row.Detail = "ok", "matches "+words.Join(agree)
			if len(agree) > 2 {
				row.Detail = fmt.Sprintf("matches all %d readings", len(agree))
			}
			if truncated {
				row.Detail += " (the zone cuts the name short)"
			}
		case len(agree) == 0:
			row.State, row.Detail = "bad", strings.Join(differ, "; ")
		default:
			row.State, row.Detail = "partial", strings.Join(differ, "; ")
		}
		var parts []string
		if len(agree) > 0 {
			parts = append(parts, "Matches "+words.Join(agree))
		}
		row.Title = strings.Join(append(parts, differ...), "; ")
		rows = append(rows, row)
	}
	return rows
}

// visualMajority is the value most visual-zone readings agree on, leaving the MRZ out.
func visualMajority(cmp normalize.Comparison) (string, bool) {
	best, n, tie := "", 0, false
	for _, g := range cmp.Groups {
		count := 0
		for _, s := range g.Sources {
			if s != SourceMRZ {
				count++
			}
		}
		switch {
		case count > n:
			best, n, tie = g.Value, count, false
		case count == n && count > 0:
			tie = true
		}
	}
	return best, n > 0 && !tie
}

func firstValue(vals map[string]string, order []string) string {
	if len(order) > 0 {
		return vals[order[0]]
	}
	return ""
}

// mrzPanel builds the MRZ panel from the zone (the vendors' or typed), the candidates and the
// vendors' own flags.
func mrzPanel(s *Sources, z *zone, cands []candidate, typed, typedErr string, postURL string) web.MRZPanelView {
	p := web.MRZPanelView{PostURL: postURL, Typed: typed, Error: typedErr}
	for _, c := range cands {
		mc := web.MRZCandidate{Label: VendorLabel(c.vendor), OK: c.err == nil}
		switch {
		case c.err != nil:
			mc.Status = "not a zone (" + c.err.Error() + ")"
		case z != nil && z.vendor == c.vendor:
			mc.Status = "used here"
		case z != nil && strings.Join(c.m.Lines, "\n") == strings.Join(z.m.Lines, "\n"):
			mc.Status = "the same zone"
		case c.m.Valid():
			mc.Status = "another zone, its check digits pass"
		default:
			mc.Status = "another zone, its check digits fail"
		}
		p.Candidates = append(p.Candidates, mc)
	}
	if z != nil {
		m := z.m
		p.Source = "Parsed from " + z.from
		p.Parsed, p.Valid, p.Format, p.Lines, p.Problems = true, m.Valid(), string(m.Format), m.Lines, m.Problems
		for _, c := range m.Checks {
			p.Checks = append(p.Checks, web.MRZCheckRow{Name: capitalise(c.Name), Field: c.Field, Expected: string(c.Expected),
				Found: printable(c.Found), OK: c.OK})
		}
		p.Fields = zoneFacts(m)
		p.Cross = crossCheck(s, m)
	}
	p.Alerts = alerts(s, z)
	p.Vendors = vendorChecklists(s)
	return p
}

func printable(b byte) string {
	if b < ' ' || b > '~' {
		return "?"
	}
	return string(b)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// zoneFacts lists everything the zone says.
func zoneFacts(m *mrz.MRZ) []web.KV {
	country := func(code string) string {
		if c, ok := normalize.LookupCountry(code); ok {
			return c.Name
		}
		if code == "" {
			return ""
		}
		return "not a known code"
	}
	date := func(d mrz.Date) string {
		if d.Known() {
			return d.String()
		}
		return d.Raw
	}
	kv := []web.KV{
		{Label: "Document code", Value: m.DocumentCode},
		{Label: "Issuing state", Value: m.IssuingState, Note: country(m.IssuingState)},
		{Label: "Document number", Value: m.DocumentNumber},
		{Label: "Surname", Value: m.Surname},
		{Label: "Given names", Value: m.GivenNames},
		{Label: "Nationality", Value: m.Nationality, Note: country(m.Nationality)},
		{Label: "Date of birth", Value: date(m.BirthDate)},
		{Label: "Sex", Value: m.Sex},
		{Label: "Expiry date", Value: date(m.ExpiryDate)},
	}
	if m.PersonalNumber != "" {
		kv = append(kv, web.KV{Label: "Personal number", Value: m.PersonalNumber})
	}
	if m.OptionalData1 != "" {
		kv = append(kv, web.KV{Label: "Optional data", Value: m.OptionalData1})
	}
	if m.OptionalData2 != "" {
		kv = append(kv, web.KV{Label: "Optional data (line 2)", Value: m.OptionalData2})
	}
	return kv
}

// bestDate is the date of a field the workspace judges a document by: the MRZ's when it has one,
// else what most vendors read, else the declaration; with where it came from.
func bestDate(s *Sources, z *zone, f vendors.FieldName) (time.Time, string, bool) {
	if z != nil {
		d := z.m.ExpiryDate
		if f == vendors.DateOfBirth {
			d = z.m.BirthDate
		}
		if d.Known() {
			return d.Time, "MRZ", true
		}
	}
	vals := map[string]string{}
	for _, v := range s.Done() {
		for _, fl := range v.Result.Fields {
			if fl.Name == f && fl.Value != "" {
				vals[string(v.Vendor)] = fl.Value
				break
			}
		}
	}
	if maj, ok := normalize.CompareAt(f, vals, s.Now).Majority(); ok {
		if t, ok := normalize.ParseDate(maj.Value, normalize.RoleOf(f), s.Now); ok {
			return t, "vendors", true
		}
	}
	if d, ok := declared(s)[f]; ok {
		if t, ok := normalize.ParseDate(d.Value, normalize.RoleOf(f), s.Now); ok {
			return t, "declared", true
		}
	}
	return time.Time{}, "", false
}

// alerts are the document's validity and the holder's age, judged from the best dates. When the
// date they are judged by is not the declared one, the chip says so and asks for a look (the
// fields' table shows the disagreement field by field).
func alerts(s *Sources, z *zone) []web.ReviewChip {
	var out []web.ReviewChip
	if t, from, ok := bestDate(s, z, vendors.ExpiryDate); ok {
		d := t.Format(time.DateOnly)
		c := web.ReviewChip{Label: "Valid until " + d, Kind: "ok", Tab: "mrz", Title: "Expiry date from the " + fromWords(from)}
		if normalize.Expired(t, s.Now) {
			c = web.ReviewChip{Label: "Expired on " + d, Kind: "bad", Tab: "mrz", Title: "Expiry date from the " + fromWords(from)}
		}
		if other, ok := declaredOtherwise(s, vendors.ExpiryDate, t); ok {
			c.Label += "; declared " + other.Format(time.DateOnly)
			c.Title += "; the declared expiry date differs"
			if c.Kind == "ok" {
				c.Kind = "warn"
			}
		}
		out = append(out, c)
	}
	if t, from, ok := bestDate(s, z, vendors.DateOfBirth); ok {
		age := normalize.Age(t, s.Now)
		c := web.ReviewChip{Label: fmt.Sprintf("Aged %d", age), Kind: "ok", Tab: "mrz",
			Title: "Born " + t.Format(time.DateOnly) + ", from the " + fromWords(from)}
		if age < s.Settings.MinAge {
			c.Label, c.Kind = fmt.Sprintf("Under %d: aged %d", s.Settings.MinAge, age), "bad"
		}
		if other, ok := declaredOtherwise(s, vendors.DateOfBirth, t); ok {
			c.Label += fmt.Sprintf("; declared %d", normalize.Age(other, s.Now))
			c.Title += "; the declared date of birth is " + other.Format(time.DateOnly)
			if c.Kind == "ok" {
				c.Kind = "warn"
			}
		}
		out = append(out, c)
	}
	return out
}

// declaredOtherwise is the declared date of field f when there is one and it is not t.
func declaredOtherwise(s *Sources, f vendors.FieldName, t time.Time) (time.Time, bool) {
	d, ok := declared(s)[f]
	if !ok {
		return time.Time{}, false
	}
	other, ok := normalize.ParseDate(d.Value, normalize.RoleOf(f), s.Now)
	if !ok || sameDay(other, t) {
		return time.Time{}, false
	}
	return other, true
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func fromWords(from string) string {
	switch from {
	case "vendors":
		return "vendors' reading"
	case "declared":
		return "declared data"
	}
	return from
}

// vendorChecklists turns each document vendor's own flags and verdict into a checklist. The face
// vendor's flags belong to the face panel.
func vendorChecklists(s *Sources) []web.VendorChecklist {
	var out []web.VendorChecklist
	for _, v := range s.Vendors {
		if v.Vendor == vendors.OOTO {
			continue
		}
		if v.Done == nil {
			cl := web.VendorChecklist{Label: VendorLabel(v.Vendor)}
			switch {
			case v.Pending():
				cl.Verdict = "Still running."
			default:
				cl.Outcome = "fail"
				cl.Verdict = codeWords(v.Latest.Code, v.Latest.Reason)
				if cl.Verdict == "" {
					cl.Verdict = "The check failed."
				}
			}
			out = append(out, cl)
			continue
		}
		out = append(out, Checklist(v.Vendor, v.Result))
	}
	return out
}

// Checklist is a vendor's finished result in words, as the workspace lists it: its outcome, its
// code and reason, then the document verification status and the document's state it reported,
// and its own flags (failures first) named by FlagWords. The case report prints the same lines.
func Checklist(v vendors.Name, res vendors.Result) web.VendorChecklist {
	cl := web.VendorChecklist{Label: VendorLabel(v), Outcome: string(res.Outcome), Verdict: codeWords(res.Code, res.Reason)}
	if st := res.Extra["docver_check.status"]; st != "" {
		item := web.CheckItem{Label: "Document verification: " + st, State: "info"}
		switch strings.ToLower(st) {
		case "approved":
			item.State = "ok"
		case "declined":
			item.State = "bad"
		case "resubmission_requested", "resubmission requested":
			item.State = "bad"
		}
		if c := res.Extra["docver_check.code"]; c != "" {
			item.Detail = "code " + c
		}
		cl.Items = append(cl.Items, item)
	}
	if st := res.Extra["docver_check.document.state"]; st != "" {
		cl.Items = append(cl.Items, web.CheckItem{Label: "Document state: " + st, State: stateOf(strings.EqualFold(st, "valid"))})
	}
	flags := append([]vendors.Flag(nil), res.Flags...)
	// Failures first: they are what the reviewer must see.
	sort.SliceStable(flags, func(i, j int) bool { return !flags[i].OK && flags[j].OK })
	for _, f := range flags {
		cl.Items = append(cl.Items, web.CheckItem{Label: FlagWords(f.Name), State: stateOf(f.OK)})
	}
	return cl
}

func stateOf(ok bool) string {
	if ok {
		return "ok"
	}
	return "bad"
}

func codeWords(code, reason string) string {
	switch {
	case code != "" && reason != "":
		return reason + " (code " + code + ")"
	case reason != "":
		return reason
	case code != "":
		return "Code " + code
	}
	return ""
}

// FlagWords says a vendor's flag name in words: Cynopsis' "birth date hash" is the birth date's
// check digit, its "genre" the sex; Argos' "expire_date.accepted" is the expiry date accepted.
func FlagWords(name string) string {
	special := map[string]string{
		"final hash":         "Composite check digit",
		"valid genre format": "Sex format",
		"review_front":       "Front passed without a human look",
		"review_back":        "Back passed without a human look",
	}
	if w, ok := special[strings.ToLower(name)]; ok {
		return w
	}
	w := strings.NewReplacer("_", " ", ".", " ").Replace(name)
	w = strings.ReplaceAll(w, " hash", " check digit")
	w = strings.ReplaceAll(w, "expire date", "expiry date")
	w = strings.ReplaceAll(w, "genre", "sex")
	w = strings.NewReplacer("mrz line1", "MRZ line 1", "mrz line2", "MRZ line 2", "mrz line3", "MRZ line 3", "Mrz", "MRZ", "mrz", "MRZ").Replace(w)
	w = strings.Join(strings.Fields(w), " ")
	return capitalise(w)
}
