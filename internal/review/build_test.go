package review

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/mrz"
	"kycdesk/internal/normalize"
	"kycdesk/internal/vendors"
	"kycdesk/internal/words"
	"kycdesk/web"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func date(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func conf(f float64) *float64 { return &f }

// run makes a finished vendor check with these fields.
func run(v vendors.Name, outcome vendors.Outcome, fields ...vendors.Field) VendorRun {
	c := db.Check{ID: uuid.New(), Vendor: string(v), State: db.CheckStateDone}
	return VendorRun{Vendor: v, Latest: c, Done: &c, Result: vendors.Result{Outcome: outcome, Fields: fields}}
}

func fld(name vendors.FieldName, value string) vendors.Field {
	return vendors.Field{Name: name, Value: value}
}

// td1 is an ICAO 9303 part 5 specimen zone (Utopia identity card).
var td1 = []string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}

func sources(vendorRuns ...VendorRun) *Sources {
	return &Sources{
		Now:      now,
		Customer: db.Customer{GivenNames: "Anna María", Surname: "Eriksson", DateOfBirth: date("1974-08-12"), Nationality: "UTO"},
		Document: db.Document{ID: uuid.New(), Type: db.DocumentTypeNationalID, IssuingCountry: "UTO", Number: "D23145890", ExpiryDate: date("2012-04-15")},
		Vendors:  vendorRuns,
		Settings: DefaultSettings,
	}
}

func rowOf(p web.ReviewFields, f vendors.FieldName) *web.FieldRow {
	for i := range p.Rows {
		if p.Rows[i].Name == string(f) {
			return &p.Rows[i]
		}
	}
	return nil
}

func cellOf(r *web.FieldRow, source string) web.FieldCell {
	for _, c := range r.Cells {
		if c.Source == source {
			return c
		}
	}
	return web.FieldCell{}
}

func TestFieldsPanel(t *testing.T) {
	box := &vendors.Box{Side: "front", Corners: [4]vendors.Point{{X: 10, Y: 20}, {X: 110.04, Y: 20}, {X: 110.04, Y: 40}, {X: 10, Y: 40}}}
	s := sources(
		run(vendors.CynopsisOCR, vendors.OutcomePass, fld(vendors.Surname, "ERIKSSON"), fld(vendors.Nationality, "UTOPIAN"),
			fld(vendors.DateOfBirth, "12/08/1974"), fld(vendors.Sex, "FEMALE"), fld(vendors.MRZLine1, td1[0]), fld(vendors.MRZLine2, td1[1]),
			fld(vendors.MRZLine3, td1[2])),
		run(vendors.Argos, vendors.OutcomeReview, vendors.Field{Name: vendors.Surname, Value: "ERIKSON", Confidence: conf(0.41), Box: box},
			vendors.Field{Name: vendors.DateOfBirth, Value: "1974-08-12", Confidence: conf(0.93), Box: box}, fld(vendors.Sex, "M")),
		run(vendors.OOTO, vendors.OutcomePass, fld(vendors.Sex, "X"), fld(vendors.DateOfBirth, "1974-08-12T00:00:00Z")),
	)
	z := pick(candidates(s))
	if z == nil || z.vendor != vendors.CynopsisOCR {
		t.Fatalf("zone %+v", z)
	}
	p, mismatched := fieldsPanel(s, z, map[string]string{"front": "img-front"}, "/cases/x")
	var keys []string
	for _, src := range p.Sources {
		keys = append(keys, src.Key)
	}
	if strings.Join(keys, ",") != "cynopsis_ocr,argos,ooto,declared,mrz" {
		t.Fatalf("columns %v", keys)
	}
	if got := mismatchNames(mismatched); got != "surname,sex" {
		t.Errorf("mismatched %s", got)
	}
	// Surname: Argos alone reads it otherwise, with a low confidence and a box.
	r := rowOf(p, vendors.Surname)
	a := cellOf(r, "argos")
	if !r.Disagree || !a.Minority || !a.Low || a.Confidence != "41%" || a.Kind != "mismatch" || a.Frame != "img-front" ||
		a.Box != "[[10,20],[110,20],[110,40],[10,40]]" || a.Group != "" {
		t.Errorf("Argos surname cell %+v", a)
	}
	if r.Status != "≠ Argos" || !strings.Contains(r.Summary, "Cynopsis, Declared and MRZ agree on ERIKSSON") || !strings.Contains(r.Summary, "Argos reads ERIKSON") {
		t.Errorf("surname row %q / %q", r.Status, r.Summary)
	}
	if !r.Low || !r.HasBox || p.LowCount != 1 {
		t.Errorf("low %v box %v count %d", r.Low, r.HasBox, p.LowCount)
	}
	// Date of birth in three formats agrees; the normalised date shows under the odd spelling.
	r = rowOf(p, vendors.DateOfBirth)
	if r.Disagree || r.Status != "✓" || cellOf(r, "cynopsis_ocr").Normal != "1974-08-12" || cellOf(r, "argos").Normal != "" {
		t.Errorf("date of birth row %+v", r)
	}
	if c := cellOf(r, "argos"); c.Kind != "match" || c.Low {
		t.Errorf("a confident agreeing value is a plain match: %+v", c)
	}
	// Nationality: the demonym shows as its code.
	if c := cellOf(rowOf(p, vendors.Nationality), "cynopsis_ocr"); c.Normal != "UTO" || c.Note == "" {
		t.Errorf("nationality cell %+v", c)
	}
	// Sex: F (Cynopsis, MRZ), M (Argos), X (OOTO): a majority of two against two singles, lettered.
	r = rowOf(p, vendors.Sex)
	if c := cellOf(r, "ooto"); !c.Minority || c.Group == "" {
		t.Errorf("three groups are lettered: %+v", c)
	}
	if !strings.HasPrefix(r.Status, "≠ ") {
		t.Errorf("sex status %q", r.Status)
	}
	// The MRZ column comes from the zone; the declared column from the records.
	if c := cellOf(rowOf(p, vendors.DocumentNumber), "mrz"); c.Value != "D23145890" {
		t.Errorf("MRZ document number %+v", c)
	}
	if rowOf(p, vendors.PersonalNumber) != nil || rowOf(p, vendors.Address) != nil {
		t.Error("a field no source gives has a row")
	}
}

func mismatchNames(fs []vendors.FieldName) string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f))
	}
	return strings.Join(out, ",")
}

func TestAgreementWithoutMajority(t *testing.T) {
	s := sources(
		run(vendors.CynopsisOCR, vendors.OutcomePass, fld(vendors.ExpiryDate, "2031-01-01")),
		run(vendors.Argos, vendors.OutcomePass, fld(vendors.ExpiryDate, "2032-01-01")),
	)
	s.Document.ExpiryDate = nil
	p, _ := fieldsPanel(s, nil, nil, "")
	r := rowOf(p, vendors.ExpiryDate)
	if r.Status != "≠ split" || !strings.Contains(r.Summary, "The sources split: A: Argos (2032-01-01); B: Cynopsis (2031-01-01)") {
		t.Errorf("%q / %q", r.Status, r.Summary)
	}
	for _, c := range r.Cells[:2] {
		if c.Minority || c.Group == "" {
			t.Errorf("a split marks nobody as the odd one out but letters both: %+v", c)
		}
	}
	if cellOf(r, "declared").Empty != true || cellOf(r, "mrz").Empty != true {
		t.Error("empty sources are shown as empty")
	}
}

func TestMRZPanel(t *testing.T) {
	tampered := append([]string(nil), td1...)
	tampered[0] = tampered[0][:14] + "8" + tampered[0][15:] // the document number's digit is 7
	s := sources(
		run(vendors.Apptenticate, vendors.OutcomePass), // no MRZ
		run(vendors.CynopsisOCR, vendors.OutcomePass, fld(vendors.MRZLine1, "not a zone")),
		run(vendors.Argos, vendors.OutcomeReview, fld(vendors.MRZLine1, tampered[0]), fld(vendors.MRZLine2, tampered[1]),
			fld(vendors.MRZLine3, tampered[2]), fld(vendors.Surname, "ERIKSSON"), fld(vendors.GivenNames, "ANNA MARIA"),
			fld(vendors.DateOfBirth, "1974-08-12"), fld(vendors.ExpiryDate, "2012-04-16")),
	)
	s.Vendors[1].Result.Extra = map[string]string{"docver_check.status": "declined", "docver_check.code": "508"}
	s.Vendors[1].Result.Code, s.Vendors[1].Result.Reason = "508", "The document was tampered with"
	s.Vendors[1].Result.Flags = []vendors.Flag{{Name: "birth date hash", OK: true}, {Name: "document number hash", OK: false}}
	cands := candidates(s)
	if len(cands) != 2 || cands[0].err == nil || cands[1].err != nil {
		t.Fatalf("candidates %+v", cands)
	}
	z := pick(cands)
	p := mrzPanel(s, z, cands, "", "", "/post")
	if !p.Parsed || p.Valid || p.Format != "TD1" || p.Source != "Parsed from the zone Argos read" {
		t.Fatalf("panel %+v", p)
	}
	if p.Candidates[0].Status[:10] != "not a zone" || p.Candidates[1].Status != "used here" {
		t.Errorf("candidates %+v", p.Candidates)
	}
	var failed []string
	for _, c := range p.Checks {
		if !c.OK {
			failed = append(failed, c.Name+" "+c.Found+"→"+c.Expected)
		}
	}
	if len(failed) != 2 || failed[0] != "Document number 8→7" || !strings.HasPrefix(failed[1], "Composite") {
		t.Errorf("failed checks %v", failed)
	}
	cross := map[string]web.CrossRow{}
	for _, c := range p.Cross {
		cross[c.Label] = c
	}
	if c := cross["Expiry date"]; c.State != "bad" || !strings.Contains(c.Detail, "Argos reads 2012-04-16") {
		t.Errorf("expiry cross %+v", c)
	}
	if c := cross["Given names"]; c.State != "ok" {
		t.Errorf("given names cross %+v", c)
	}
	if c := cross["Sex"]; c.State != "none" || c.MRZ != "F" {
		t.Errorf("sex: no visual reading, so compared with nothing: %+v", c)
	}
	// The zone's dates: expired, and 51 years old.
	var alerts []string
	for _, a := range p.Alerts {
		alerts = append(alerts, a.Kind+":"+a.Label)
	}
	if strings.Join(alerts, ",") != "bad:Expired on 2012-04-15,ok:Aged 51" {
		t.Errorf("alerts %v", alerts)
	}
	// Declared otherwise, the chips say so, and the age asks for a look.
	s.Customer.DateOfBirth, s.Document.ExpiryDate = date("1990-01-31"), date("2031-05-07")
	alerts = nil
	for _, a := range mrzPanel(s, z, cands, "", "", "/post").Alerts {
		alerts = append(alerts, a.Kind+":"+a.Label+" ("+a.Title+")")
	}
	if want := "bad:Expired on 2012-04-15; declared 2031-05-07 (Expiry date from the MRZ; the declared expiry date differs)," +
		"warn:Aged 51; declared " + strconv.Itoa(normalize.Age(*date("1990-01-31"), now)) +
		" (Born 1974-08-12, from the MRZ; the declared date of birth is 1990-01-31)"; strings.Join(alerts, ",") != want {
		t.Errorf("alerts against the declaration:\n got %v\nwant %s", alerts, want)
	}
	// The vendors' own checks: Cynopsis declined with its reason and its failed hash first.
	var cyn web.VendorChecklist
	for _, v := range p.Vendors {
		if v.Label == "Cynopsis" {
			cyn = v
		}
	}
	if cyn.Verdict != "The document was tampered with (code 508)" || len(cyn.Items) != 3 || cyn.Items[0].State != "bad" ||
		cyn.Items[1].Label != "Document number check digit" || cyn.Items[1].State != "bad" || cyn.Items[2].Label != "Birth date check digit" {
		t.Errorf("Cynopsis checklist %+v", cyn)
	}
	// A typed zone replaces the vendors'; a bad one says why and keeps theirs.
	z2, msg := typedZone(strings.Join(td1, "\n"), now)
	if z2 == nil || msg != "" || !z2.m.Valid() {
		t.Fatalf("typed zone: %v %q", z2, msg)
	}
	if p := mrzPanel(s, z2, cands, "x", "", "/post"); !p.Valid || p.Candidates[1].Status != "another zone, its check digits fail" {
		t.Errorf("typed panel %+v", p.Candidates)
	}
	if z3, msg := typedZone("P<UTO", now); z3 != nil || !strings.Contains(msg, "not a machine-readable zone") {
		t.Errorf("bad typed zone: %v %q", z3, msg)
	}
}

func TestTruncatedNameInZone(t *testing.T) {
	// TD3 with the name field filled to the end: the zone cuts the given names short.
	lines := []string{"P<UTOERIKSSON<<ANNA<MARIA<ELISABETH<CHRISTIN", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}
	m, err := mrz.ParseAt(strings.Join(lines, "\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	if !nameTruncated(m) {
		t.Fatal("the name field is full")
	}
	s := sources(run(vendors.Argos, vendors.OutcomePass, fld(vendors.GivenNames, "ANNA MARIA ELISABETH CHRISTINA")))
	found := false
	for _, c := range crossCheck(s, m) {
		if c.Label == "Given names" {
			found = true
			if c.State != "ok" || !strings.Contains(c.Detail, "cuts the name short") {
				t.Errorf("truncated given names %+v", c)
			}
		}
	}
	if !found {
		t.Error("no given names row")
	}
	// A zone with room left is not cut short: a longer visual name is a difference.
	short, _ := mrz.ParseAt("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"+lines[1], now)
	if nameTruncated(short) {
		t.Error("a name field ending in fillers is not truncated")
	}
}

func TestFaceAndHelpers(t *testing.T) {
	yes, no := true, false
	s := sources(run(vendors.OOTO, vendors.OutcomeFail))
	s.Vendors[0].Result.Face = &vendors.Face{Similarity: conf(0.31), Same: &no, Liveness: conf(0.18), LivenessFine: &no,
		Deepfake: conf(0.02), DeepfakeFine: &yes, FailedQuality: []string{"The face is blurred"},
		PortraitBox: &vendors.Box{Side: "front", Corners: [4]vendors.Point{{X: 100, Y: 200}, {X: 300, Y: 200}, {X: 300, Y: 450}, {X: 100, Y: 450}}}}
	s.Images = []db.Image{{ID: uuid.New(), Kind: db.ImageKindFront, Width: 1000, Height: 700, ContentType: "image/jpeg"},
		{ID: uuid.New(), Kind: db.ImageKindSelfie, Width: 600, Height: 800, ContentType: "image/jpeg"}}
	p := facePanel(s)
	if !p.HasResult || p.Portrait == nil || p.Selfie == nil || p.PortraitCrop != "84,180,232,290" {
		t.Fatalf("face panel %+v", p)
	}
	var verdicts []string
	for _, sc := range p.Scores {
		verdicts = append(verdicts, sc.Label+" "+sc.Value+" "+sc.Verdict+" "+sc.State)
	}
	want := "Similarity 31% not the same person bad|Liveness 18% may not be a live person bad|Deepfake 2% no sign of a deepfake ok"
	if strings.Join(verdicts, "|") != want {
		t.Errorf("scores %q", strings.Join(verdicts, "|"))
	}
	if p.QualityOK || len(p.Quality) != 1 {
		t.Errorf("quality %+v", p.Quality)
	}
	// OOTO refused: the reason instead of scores.
	s2 := sources()
	s2.Vendors = []VendorRun{{Vendor: vendors.OOTO, Latest: db.Check{State: db.CheckStateFailed, Code: "5", Reason: "Cannot detect a face in the selfie."}}}
	if p := facePanel(s2); p.HasResult || !strings.Contains(p.Error, "Cannot detect a face in the selfie. (code 5)") {
		t.Errorf("failed face check: %+v", p)
	}
	for in, want := range map[string]string{"final hash": "Composite check digit", "birth date hash": "Birth date check digit",
		"valid genre format": "Sex format", "expire_date.accepted": "Expiry date accepted", "mrz_line1.accepted": "MRZ line 1 accepted",
		"review_front": "Front passed without a human look", "document number format": "Document number format"} {
		if got := FlagWords(in); got != want {
			t.Errorf("FlagWords(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		b    vendors.Box
		w, h int
		want string
	}{
		{vendors.Box{Corners: [4]vendors.Point{{X: 0, Y: 0}, {X: 100, Y: 0}, {X: 100, Y: 100}, {X: 0, Y: 100}}}, 100, 100, "0,0,100,100"},
		{vendors.Box{Corners: [4]vendors.Point{{X: 5, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 5}}}, 100, 100, ""},
		{vendors.Box{Corners: [4]vendors.Point{{X: 50, Y: 50}, {X: 150, Y: 50}, {X: 150, Y: 150}, {X: 50, Y: 150}}}, 0, 100, ""},
	} {
		got, _ := cropBox(&c.b, c.w, c.h)
		if got != c.want {
			t.Errorf("cropBox(%v) = %q, want %q", c.b.Corners, got, c.want)
		}
	}
	if words.Join([]string{"a", "b", "c"}) != "a, b and c" || words.Join([]string{"a"}) != "a" {
		t.Error("join")
	}
}

// TestVendorColumnsWithoutFields: per vendor, the newest finished examination decides the column:
// a refusal of the document (an empty column marked refused, even over an older result), a result;
// a check that did not finish shows as such only when nothing finished before it. The header says
// a refusal first, among the bad findings, and a check that did not finish as a warning.
func TestVendorColumnsWithoutFields(t *testing.T) {
	doc := uuid.New()
	at := func(min int) *time.Time { x := now.Add(time.Duration(min) * time.Minute); return &x }
	fail := "fail"
	check := func(v vendors.Name, min int, state db.CheckState, kind string, result string) db.Check {
		c := db.Check{ID: uuid.New(), DocumentID: doc, Vendor: string(v), Kind: "ocr", State: state, ErrorKind: kind, FinishedAt: at(min),
			CreatedAt: *at(min)}
		if kind == "refused" {
			c.Outcome, c.Code, c.Reason = &fail, "826", "The document is too blurry."
		}
		if result != "" {
			c.Result = []byte(result)
		}
		return c
	}
	pass := `{"outcome":"pass","fields":[{"name":"surname","value":"ERIKSSON"}]}`
	cd := caseData{checks: []db.Check{ // newest first
		check(vendors.Apptenticate, 9, db.CheckStateDone, "refused", ""),
		check(vendors.Argos, 8, db.CheckStateFailed, "transient", ""),
		check(vendors.CynopsisOCR, 7, db.CheckStateFailed, "transient", ""),
		check(vendors.Apptenticate, 5, db.CheckStateDone, "", pass),
		check(vendors.CynopsisOCR, 4, db.CheckStateDone, "", pass),
	}, settings: DefaultSettings}
	s := cd.sources(db.Document{ID: doc, Type: db.DocumentTypePassport}, now)
	byVendor := map[vendors.Name]VendorRun{}
	for _, v := range s.Vendors {
		byVendor[v.Vendor] = v
	}
	if v := byVendor[vendors.Apptenticate]; v.Refused == nil || v.Done != nil || v.Unfinished != nil {
		t.Errorf("Apptenticate refused after a pass: %+v", v)
	}
	if v := byVendor[vendors.CynopsisOCR]; v.Done == nil || v.Unfinished != nil {
		t.Errorf("Cynopsis failed to finish after a result: %+v", v)
	}
	if v := byVendor[vendors.Argos]; v.Unfinished == nil || v.Done != nil {
		t.Errorf("Argos never finished: %+v", v)
	}
	p, _ := fieldsPanel(s, nil, nil, "")
	var heads []string
	for _, src := range p.Sources {
		heads = append(heads, src.Key+":"+src.Note+":"+src.Outcome)
	}
	if want := "cynopsis_ocr::pass,apptenticate:refused:fail,argos:did not finish:,declared::,mrz::"; strings.Join(heads, ",") != want {
		t.Errorf("columns %v, want %s", heads, want)
	}
	if len(p.Ended) != 2 || !strings.Contains(p.Ended[0].Title, "Apptenticate refused the document: The document is too blurry. (code 826)") {
		t.Errorf("ended columns: %+v", p.Ended)
	}
	var chipsSeen []string
	for _, c := range chips(web.ReviewView{Fields: p}, nil) {
		chipsSeen = append(chipsSeen, c.Kind+":"+c.Label)
	}
	if want := "bad:Apptenticate refused the document,warn:Argos did not finish,ok:Fields agree"; strings.Join(chipsSeen, ",") != want {
		t.Errorf("chips %v, want %s", chipsSeen, want)
	}
}
