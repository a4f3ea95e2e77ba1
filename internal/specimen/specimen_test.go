package specimen

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"reflect"
	"strings"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"

	"kycdesk/internal/mrz"
	"kycdesk/internal/normalize"
	"kycdesk/internal/vendors"
)

func TestDeterministic(t *testing.T) {
	for _, o := range []Options{{}, {DocumentType: NationalID, Scenario: VendorsDisagree}} {
		a, b := Generate(7, o), Generate(7, o)
		if !bytes.Equal(a.Front, b.Front) || !bytes.Equal(a.Back, b.Back) || !bytes.Equal(a.Selfie, b.Selfie) {
			t.Errorf("%+v: the same seed gave different images", o)
		}
		if !reflect.DeepEqual(a.Subject(), b.Subject()) {
			t.Errorf("%+v: the same seed gave different subjects", o)
		}
		c := Generate(8, o)
		if bytes.Equal(a.Front, c.Front) || a.DocumentNumber == c.DocumentNumber {
			t.Errorf("%+v: seeds 7 and 8 gave the same document", o)
		}
	}
}

func TestImagesFitVendorLimits(t *testing.T) {
	for _, tc := range []struct {
		o            Options
		front, back  image.Point
		wantBackSide bool
	}{
		{Options{}, image.Pt(passportW, passportH), image.Point{}, false},
		{Options{DocumentType: NationalID}, image.Pt(cardW, cardH), image.Pt(cardW, cardH), true},
	} {
		s := Generate(3, tc.o)
		check := func(name string, b []byte, want image.Point) {
			if len(b) >= 1<<20 {
				t.Errorf("%s is %d bytes; vendors take under 2 MB and recommend 1 MB", name, len(b))
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
			if err != nil || format != "jpeg" || cfg.Width != want.X || cfg.Height != want.Y {
				t.Errorf("%s: %s %dx%d, %v; want jpeg %v", name, format, cfg.Width, cfg.Height, err, want)
			}
		}
		check("front", s.Front, tc.front)
		check("selfie", s.Selfie, image.Pt(selfieW, selfieH))
		if tc.wantBackSide {
			check("back", s.Back, tc.back)
		} else if s.Back != nil || s.BackImage != nil {
			t.Error("a passport has no back image")
		}
		sub := s.Subject()
		if sub.Width != tc.front.X || sub.Height != tc.front.Y {
			t.Errorf("Subject size %dx%d, want %v", sub.Width, sub.Height, tc.front)
		}
	}
}

// TestZonesValidate checks many seeds: every zone parses and validates and says what the document
// says, unless it was tampered with, when exactly the document number's check fails.
func TestZonesValidate(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		for _, o := range []Options{{}, {DocumentType: NationalID}, {UnderAge: true}, {Expired: true, DocumentType: NationalID}} {
			s, _ := build(seed, o.effective())
			m, err := mrz.ParseAt(strings.Join(s.MRZ, "\n"), ReferenceDate)
			if err != nil {
				t.Fatalf("seed %d %+v: %v", seed, o, err)
			}
			if !m.Valid() {
				t.Fatalf("seed %d %+v: zone %q fails %+v %q", seed, o, s.MRZ, m.Failed(), m.Problems)
			}
			wantFormat := mrz.TD3
			if o.DocumentType == NationalID {
				wantFormat = mrz.TD1
			}
			if m.Format != wantFormat || m.DocumentNumber != s.DocumentNumber || m.Sex != s.Sex ||
				!m.BirthDate.Time.Equal(s.DateOfBirth) || !m.ExpiryDate.Time.Equal(s.ExpiryDate) {
				t.Fatalf("seed %d: zone says %+v, document says %+v", seed, m, s)
			}
			if m.Nationality != s.Nationality && !(s.Nationality == "DEU" && m.Nationality == "D") {
				t.Fatalf("seed %d: zone nationality %q, document %q", seed, m.Nationality, s.Nationality)
			}
			if !strings.HasPrefix(m.Surname, strings.Fields(strings.NewReplacer("-", " ").Replace(asciiUpper(s.Surname)))[0][:3]) {
				t.Fatalf("seed %d: zone surname %q, printed %q", seed, m.Surname, s.Surname)
			}
		}
	}
}

// asciiUpper drops what transliteration changes, enough to compare the start of a name.
func asciiUpper(s string) string {
	// ICAO 9303 writes these letters as two; other marks are dropped.
	s = strings.NewReplacer("Ø", "OE", "Æ", "AE", "Å", "AA", "Ü", "UE", "Ö", "OE", "Ä", "AE", "ß", "SS").Replace(strings.ToUpper(s))
	return strings.ToUpper(normalize.Fold(s))
}

func TestTamperedZone(t *testing.T) {
	for _, dt := range []DocumentType{Passport, NationalID} {
		for seed := uint64(0); seed < 50; seed++ {
			s, _ := build(seed, Options{DocumentType: dt, Scenario: TamperedMRZ}.effective())
			m, err := mrz.ParseAt(strings.Join(s.MRZ, "\n"), ReferenceDate)
			if err != nil {
				t.Fatal(err)
			}
			if m.Valid() {
				t.Fatalf("%s seed %d: tampered zone validates", dt, seed)
			}
			failed := map[string]bool{}
			for _, c := range m.Failed() {
				failed[c.Name] = true
			}
			if !failed[mrz.CheckDocumentNumber] || failed[mrz.CheckBirthDate] || failed[mrz.CheckExpiryDate] {
				t.Fatalf("%s seed %d: failed checks %v, want the document number's", dt, seed, failed)
			}
		}
	}
}

func TestDates(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		s, _ := build(seed, Options{}.effective())
		age := ReferenceDate.Year() - s.DateOfBirth.Year()
		if age < 18 || !s.ExpiryDate.After(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) || !s.IssueDate.Before(ReferenceDate) {
			t.Fatalf("seed %d: born %s issued %s expires %s", seed, s.DateOfBirth, s.IssueDate, s.ExpiryDate)
		}
		e, _ := build(seed, Options{Scenario: ExpiredDocument}.effective())
		if !e.ExpiryDate.Before(ReferenceDate) || !e.IssueDate.Before(e.ExpiryDate) {
			t.Fatalf("seed %d expired: issued %s expires %s", seed, e.IssueDate, e.ExpiryDate)
		}
		u, _ := build(seed, Options{Scenario: UnderAge}.effective())
		if u.DateOfBirth.AddDate(18, 0, 0).Before(time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)) || u.IssueDate.Before(u.DateOfBirth) {
			t.Fatalf("seed %d under age: born %s issued %s", seed, u.DateOfBirth, u.IssueDate)
		}
	}
}

func TestSubject(t *testing.T) {
	s := Generate(11, Options{DocumentType: NationalID})
	sub := s.Subject()
	if sub.Surname != s.Surname || sub.DocumentNumber != s.DocumentNumber || sub.DocumentType != "national_id" ||
		sub.DateOfBirth != s.DateOfBirth.Format(time.DateOnly) || len(sub.MRZ) != 3 || !sub.SameFace || sub.Liveness != 0.97 {
		t.Errorf("Subject = %+v", sub)
	}
	front := []vendors.FieldName{vendors.Surname, vendors.GivenNames, vendors.Sex, vendors.Nationality,
		vendors.DateOfBirth, vendors.DocumentNumber, vendors.ExpiryDate}
	back := []vendors.FieldName{vendors.Address, vendors.IssueDate, vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}
	for _, f := range append(front, back...) {
		b, ok := sub.Boxes[f]
		if !ok {
			t.Errorf("no box for %s", f)
			continue
		}
		wantSide := "front"
		if contains(back, f) {
			wantSide = "back"
		}
		if b.Side != wantSide {
			t.Errorf("box for %s on %q, want %q", f, b.Side, wantSide)
		}
		c := b.Corners
		if !(c[0].X < c[1].X && c[0].Y == c[1].Y && c[1].Y < c[2].Y && c[3].X == c[0].X) ||
			c[0].X < 0 || c[0].Y < 0 || c[2].X > float64(sub.Width) || c[2].Y > float64(sub.Height) {
			t.Errorf("box for %s is not a rectangle inside the image: %+v", f, c)
		}
	}
	if sub.Portrait == nil || sub.Portrait.Side != "front" || sub.Portrait.Corners[2].X-sub.Portrait.Corners[0].X < 200 {
		t.Errorf("Portrait = %+v", sub.Portrait)
	}
	// The box must cover ink: the surname's box is darker inside than the paper around it.
	if dark := inkIn(s.FrontImage, sub.Boxes[vendors.Surname]); dark < 0.05 {
		t.Errorf("the surname box holds %.2f dark pixels: the box is not where the text is", dark)
	}

	ps := Generate(11, Options{})
	p := ps.Subject()
	for _, f := range []vendors.FieldName{vendors.DocumentType, vendors.IssuingCountry, vendors.DocumentNumber,
		vendors.Surname, vendors.GivenNames, vendors.Nationality, vendors.DateOfBirth, vendors.Sex, vendors.IssueDate,
		vendors.ExpiryDate, vendors.MRZLine1, vendors.MRZLine2} {
		if b, ok := p.Boxes[f]; !ok || b.Side != "front" {
			t.Errorf("passport: box for %s = %+v, %v", f, b, ok)
		}
	}
}

func contains(xs []vendors.FieldName, x vendors.FieldName) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func inkIn(img image.Image, b vendors.Box) float64 {
	n, dark := 0, 0
	for y := int(b.Corners[0].Y); y < int(b.Corners[2].Y); y++ {
		for x := int(b.Corners[0].X); x < int(b.Corners[2].X); x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			n++
			if g.Y < 100 {
				dark++
			}
		}
	}
	return float64(dark) / float64(max(n, 1))
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		sc    Scenario
		check func(t *testing.T, s Specimen, sub vendors.Subject)
	}{
		{Clean, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if sub.Misreads != nil || sub.Errors != nil || !sub.SameFace || sub.Liveness != 0.97 {
				t.Errorf("clean subject plays something: %+v %+v", sub.Misreads, sub.Errors)
			}
		}},
		{ArgosMisreadsExpiry, func(t *testing.T, s Specimen, sub vendors.Subject) {
			v := sub.Misreads[vendors.Argos][vendors.ExpiryDate]
			if v == "" || v == sub.ExpiryDate || v[4:] != sub.ExpiryDate[4:] {
				t.Errorf("misread expiry %q of %q", v, sub.ExpiryDate)
			}
		}},
		{CynopsisMisreadsSurname, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if v := sub.Misreads[vendors.CynopsisOCR][vendors.Surname]; v == "" || v == sub.Surname || len(v) != len(sub.Surname) {
				t.Errorf("misread surname %q of %q", v, sub.Surname)
			}
		}},
		{ApptenticateBlurry, errorCode(vendors.Apptenticate, "826")},
		{FaceMismatch, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if sub.SameFace || !s.Options.OtherFace {
				t.Error("face mismatch scenario shows the same face")
			}
			if clean := Generate(s.Seed, Options{}); bytes.Equal(clean.Selfie, s.Selfie) {
				t.Error("the selfie did not change")
			}
		}},
		{TamperedMRZ, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if m, err := mrz.Parse(strings.Join(sub.MRZ, "\n")); err != nil || m.Valid() {
				t.Errorf("tampered zone: %v valid %v", err, m != nil && m.Valid())
			}
		}},
		{ExpiredDocument, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if sub.ExpiryDate >= ReferenceDate.Format(time.DateOnly) {
				t.Errorf("expiry %s is not before %s", sub.ExpiryDate, ReferenceDate)
			}
		}},
		{ArgosProcessingError, errorCode(vendors.Argos, "1003")},
		{OOTONoFace, errorCode(vendors.OOTO, "5")},
		{LowLiveness, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if sub.Liveness != 0.18 {
				t.Errorf("Liveness = %v", sub.Liveness)
			}
		}},
		{UnderAge, func(t *testing.T, s Specimen, sub vendors.Subject) {
			if s.DateOfBirth.AddDate(18, 0, 0).Before(ReferenceDate) {
				t.Errorf("born %s is not under age", sub.DateOfBirth)
			}
		}},
		{ApptenticateCropped, errorCode(vendors.Apptenticate, "821")},
		{ArgosUnrecognised, errorCode(vendors.Argos, "1011")},
		{VendorsDisagree, func(t *testing.T, s Specimen, sub vendors.Subject) {
			dob := sub.Misreads[vendors.Argos][vendors.DateOfBirth]
			num := sub.Misreads[vendors.CynopsisOCR][vendors.DocumentNumber]
			if dob == "" || dob == sub.DateOfBirth || num == "" || num == sub.DocumentNumber {
				t.Errorf("misreads %q %q of %q %q", dob, num, sub.DateOfBirth, sub.DocumentNumber)
			}
		}},
	}
	if len(tests) != int(scenarioCount) {
		t.Fatalf("%d scenarios tested, %d defined", len(tests), scenarioCount)
	}
	for _, tt := range tests {
		t.Run(tt.sc.String(), func(t *testing.T) {
			if got, err := ParseScenario(tt.sc.String()); err != nil || got != tt.sc {
				t.Errorf("ParseScenario(%q) = %v, %v", tt.sc, got, err)
			}
			for seed := uint64(20); seed < 24; seed++ {
				s := Generate(seed, Options{Scenario: tt.sc})
				tt.check(t, s, s.Subject())
				// The scenario travels in the image: the fake sees the same thing.
				got, ok := Identify(s.Front)
				if !ok || !reflect.DeepEqual(got, s.Subject()) {
					t.Errorf("seed %d: Identify = %v, %+v", seed, ok, got)
				}
			}
		})
	}
	if _, err := ParseScenario("nope"); err == nil {
		t.Error("ParseScenario accepted an unknown name")
	}
}

func errorCode(v vendors.Name, code string) func(*testing.T, Specimen, vendors.Subject) {
	return func(t *testing.T, s Specimen, sub vendors.Subject) {
		if sub.Errors[v] != code || len(sub.Errors) != 1 {
			t.Errorf("Errors = %v, want %s: %s", sub.Errors, v, code)
		}
	}
}

func TestMisreadHelpers(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct{ got, want string }{
		{misreadYear(d("2031-04-15")), "2037-04-15"},
		{misreadYear(d("2030-02-28")), "2038-02-28"},
		{swapLetters("ERIKSSON"), "EIRKSSON"},
		{swapLetters("ABBOT"), "ABOBT"},
		{swapDayMonth(d("1974-08-12")), "1974-12-08"},
		{swapDayMonth(d("1974-08-25")), "1974-08-52"},
		{swapDayMonth(d("1974-05-05")), "1974-05-50"},
		{confuseDigit("AB1234567"), "ABI234567"},
		{confuseDigit("X0123"), "XO123"},
		{confuseDigit("Z2222"), "Z22220"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestOptionFlagsRoundTrip(t *testing.T) {
	for _, o := range []Options{
		{},
		{DocumentType: NationalID, Expired: true, UnderAge: true, TamperMRZ: true, OtherFace: true, Liveness: 0.42, Scenario: VendorsDisagree},
		{Liveness: 1},
		{Liveness: 0.01, OtherFace: true},
	} {
		e := o.effective()
		for _, custom := range []bool{false, true} {
			got, gotCustom := optionsFromFlags(e.flags(custom))
			if !reflect.DeepEqual(got, e) || gotCustom != custom {
				t.Errorf("flags round trip %+v → %+v (custom %v → %v)", e, got, custom, gotCustom)
			}
		}
	}
}

// variants returns the ways a client might send an image on: as is, recompressed, downscaled.
func variants(t *testing.T, img []byte) map[string][]byte {
	t.Helper()
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	enc := func(m image.Image, q int) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	scale := func(m image.Image, f float64, k xdraw.Interpolator) image.Image {
		b := m.Bounds()
		dst := image.NewRGBA(image.Rect(0, 0, int(float64(b.Dx())*f+0.5), int(float64(b.Dy())*f+0.5)))
		k.Scale(dst, dst.Bounds(), m, b, xdraw.Src, nil)
		return dst
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, src); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"original":                img,
		"png":                     pngBuf.Bytes(),
		"jpeg q60":                enc(src, 60),
		"jpeg q40":                enc(src, 40),
		"50% catmull-rom q60":     enc(scale(src, 0.5, xdraw.CatmullRom), 60),
		"50% bilinear q75":        enc(scale(src, 0.5, xdraw.BiLinear), 75),
		"50% approx-bilinear":     enc(scale(src, 0.5, xdraw.ApproxBiLinear), 85),
		"50% nearest q60":         enc(scale(src, 0.5, xdraw.NearestNeighbor), 60),
		"80% catmull-rom q70":     enc(scale(src, 0.8, xdraw.CatmullRom), 70),
		"64% bilinear q60":        enc(scale(src, 0.64, xdraw.BiLinear), 60),
		"150% catmull-rom q85":    enc(scale(src, 1.5, xdraw.CatmullRom), 85),
		"50% then jpeg twice q60": enc(decode(t, enc(scale(src, 0.5, xdraw.CatmullRom), 70)), 60),
	}
}

func decode(t *testing.T, b []byte) image.Image {
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIdentifyRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		name string
		seed uint64
		o    Options
	}{
		{"passport", 1, Options{}},
		{"passport, max seed", ^uint64(0), Options{Scenario: ArgosMisreadsExpiry}},
		{"national ID", 2, Options{DocumentType: NationalID}},
		{"national ID, all flags", 3, Options{DocumentType: NationalID, Expired: true, TamperMRZ: true, OtherFace: true, Liveness: 0.33, Scenario: VendorsDisagree}},
	} {
		s := Generate(tc.seed, tc.o)
		want := s.Subject()
		sides := map[string][]byte{"front": s.Front, "selfie": s.Selfie}
		if s.Back != nil {
			sides["back"] = s.Back
		}
		for side, img := range sides {
			for how, b := range variants(t, img) {
				got, ok := Identify(b)
				if !ok {
					t.Errorf("%s %s %s: not identified", tc.name, side, how)
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s %s: subject differs\n got %+v\nwant %+v", tc.name, side, how, got, want)
				}
			}
		}
	}
}

// TestIdentifyCustomMaps checks that explicit Misreads and Errors come back within the process.
func TestIdentifyCustomMaps(t *testing.T) {
	o := Options{
		Scenario: ApptenticateBlurry,
		Misreads: map[vendors.Name]map[vendors.FieldName]string{vendors.OOTO: {vendors.Surname: "NOBODY"}},
		Errors:   map[vendors.Name]string{vendors.Argos: "1012"},
	}
	s := Generate(99, o)
	o.Misreads[vendors.OOTO][vendors.Surname] = "CHANGED LATER" // the specimen kept its own copy
	sub := s.Subject()
	if sub.Misreads[vendors.OOTO][vendors.Surname] != "NOBODY" || sub.Errors[vendors.Argos] != "1012" || sub.Errors[vendors.Apptenticate] != "826" {
		t.Fatalf("Subject maps = %v %v", sub.Misreads, sub.Errors)
	}
	got, ok := Identify(s.Front)
	if !ok || !reflect.DeepEqual(got, sub) {
		t.Fatalf("Identify = %v %+v, want %+v", ok, got, sub)
	}
	// Changing the returned subject must not change what the next Identify returns.
	got.Errors[vendors.Argos] = "x"
	again, _ := Identify(s.Selfie)
	if again.Errors[vendors.Argos] != "1012" {
		t.Fatal("Identify shares maps between calls")
	}
}

func TestIdentifyRejects(t *testing.T) {
	white := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	noise := image.NewGray(image.Rect(0, 0, 640, 480))
	r := &rng{s: 5}
	for i := range noise.Pix {
		noise.Pix[i] = uint8(r.next())
	}
	black := image.NewGray(image.Rect(0, 0, 640, 480))
	enc := func(m image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	s := Generate(4, Options{})
	src := decode(t, s.Front)
	// Cropping a specimen moves the code off its place: refused rather than misread.
	cropped := image.NewRGBA(image.Rect(0, 0, 1000, 700))
	xdraw.Copy(cropped, image.Point{}, src, image.Rect(100, 100, 1100, 800), xdraw.Src, nil)
	// A specimen with its code's cells flipped fails the checksum.
	flipped := image.NewRGBA(src.Bounds())
	xdraw.Copy(flipped, image.Point{}, src, src.Bounds(), xdraw.Src, nil)
	x0, y0, cell := gridGeometry(passportW, passportH)
	for c := 2; c < 5; c++ {
		px, py := int(x0+(float64(c)+0.5)*cell), int(y0+2.5*cell)
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				old := flipped.RGBAAt(px+dx, py+dy)
				flipped.SetRGBA(px+dx, py+dy, color.RGBA{255 - old.R, 255 - old.G, 255 - old.B, 255})
			}
		}
	}
	// A PNG header claiming a huge image must not be decoded.
	var huge bytes.Buffer
	_ = png.Encode(&huge, image.NewGray(image.Rect(0, 0, 1, 1)))
	hb := huge.Bytes()
	hb[16], hb[17], hb[18], hb[19] = 0, 1, 0, 0 // width 65536
	hb[20], hb[21], hb[22], hb[23] = 0, 1, 0, 0 // height 65536

	for name, b := range map[string][]byte{
		"nil":               nil,
		"empty":             {},
		"text":              []byte("not an image at all"),
		"truncated":         s.Front[:len(s.Front)/3],
		"white":             enc(white),
		"black":             enc(black),
		"noise":             enc(noise),
		"cropped specimen":  enc(cropped),
		"flipped cells":     enc(flipped),
		"huge header":       hb,
		"tiny":              enc(image.NewGray(image.Rect(0, 0, 10, 10))),
		"jpeg magic only":   {0xff, 0xd8, 0xff, 0xe0},
		"png magic only":    []byte("\x89PNG\r\n\x1a\n"),
		"gif-looking bytes": []byte("GIF89a"),
	} {
		if sub, ok := Identify(b); ok {
			t.Errorf("%s: identified as %s %s", name, sub.Surname, sub.DocumentNumber)
		}
	}
}

func FuzzIdentify(f *testing.F) {
	s := Generate(1, Options{})
	f.Add(s.Selfie)
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		Identify(b)
	})
}

func BenchmarkGenerate(b *testing.B) {
	for _, o := range []Options{{}, {DocumentType: NationalID}} {
		b.Run(string(o.effective().DocumentType), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				Generate(uint64(i), o)
			}
		})
	}
}

func BenchmarkIdentify(b *testing.B) {
	s := Generate(1, Options{})
	for b.Loop() {
		if _, ok := Identify(s.Front); !ok {
			b.Fatal("not identified")
		}
	}
}

// TestCountriesAreCodesCustomersMayHave: the demo's customers come from these countries through
// the checks every customer goes through, so each code must be a nationality, an issuing country
// and a country of residence kycdesk accepts, and the code in the zone must read back as it
// (Germany's D is DEU).
func TestCountriesAreCodesCustomersMayHave(t *testing.T) {
	for _, c := range countries {
		if got, problem := normalize.ParseCountryCode(c.code); got != c.code || problem != "" {
			t.Errorf("%s as a nationality: %q, %q", c.code, got, problem)
		}
		if got, problem := normalize.ParseResidenceCode(c.code); got != c.code || problem != "" {
			t.Errorf("%s as a country of residence: %q, %q", c.code, got, problem)
		}
		if got, problem := normalize.ParseCountryCode(c.mrzCode); got != c.code || problem != "" {
			t.Errorf("zone code %s: %q, %q; want %s", c.mrzCode, got, problem, c.code)
		}
	}
}
