// Package specimen draws synthetic identity documents for demo data and test fixtures: a passport
// data page, a national ID card (front and back) and a selfie, for an invented person that a
// 64-bit seed fully determines. Nobody on a specimen is real: the names are made up, the faces are
// illustrations, every image says SPECIMEN, and the numbers follow each country's shape without
// belonging to anyone.
//
// Every image carries a small code (a grid of cells in its top-right corner) with the seed, the
// options and a checksum. The vendor fakes only ever see image bytes, often re-encoded and
// downscaled by a client; Identify reads the code back and regenerates the Subject, so the fakes
// answer with what is printed on the document and play the scenario the specimen asks for.
package specimen

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"sync"
	"time"

	"kycdesk/internal/mrz"
	"kycdesk/internal/vendors"
)

// DocumentType is the kind of document a specimen shows.
type DocumentType string

// Document types a specimen can be; the values are vendors.Subject's.
const (
	Passport   DocumentType = "passport"
	NationalID DocumentType = "national_id"
)

// Scenario is a named situation a specimen asks the vendor fakes to play. It travels in the
// image's code, so it survives a round trip through a client; ad-hoc Misreads and Errors in
// Options do too, but only within the process that generated the specimen.
type Scenario uint8

// Scenarios. Each sets options and the Subject's Misreads and Errors as described; options set
// explicitly are added to the scenario's.
const (
	// Clean: every vendor reads the document as printed, the selfie is the holder, liveness 0.97.
	Clean Scenario = iota
	// ArgosMisreadsExpiry: Argos reads the expiry date with one digit of the year misread.
	ArgosMisreadsExpiry
	// CynopsisMisreadsSurname: Cynopsis OCR reads the surname with two letters swapped.
	CynopsisMisreadsSurname
	// ApptenticateBlurry: Apptenticate refuses the document with error 826 (too blurry).
	ApptenticateBlurry
	// FaceMismatch: the selfie shows somebody else; OOTO's face match must fail.
	FaceMismatch
	// TamperedMRZ: the printed zone has a wrong document-number check digit.
	TamperedMRZ
	// ExpiredDocument: the document expired one to three years before ReferenceDate.
	ExpiredDocument
	// ArgosProcessingError: Argos answers error 1003 (fail to process data).
	ArgosProcessingError
	// OOTONoFace: OOTO answers error 5 (cannot detect a face in the selfie).
	OOTONoFace
	// LowLiveness: the face vendor reports a liveness score of 0.18.
	LowLiveness
	// UnderAge: the holder is 10 to 14 years old at ReferenceDate.
	UnderAge
	// ApptenticateCropped: Apptenticate refuses the document with error 821 (cropped).
	ApptenticateCropped
	// ArgosUnrecognised: Argos answers error 1011 (image does not match country and type).
	ArgosUnrecognised
	// VendorsDisagree: Argos reads the birth date with day and month swapped and Cynopsis OCR
	// reads the document number with its first digit 0 as the letter O (or 1 as I).
	VendorsDisagree

	scenarioCount
)

var scenarioNames = [...]string{
	"clean", "argos_misreads_expiry", "cynopsis_misreads_surname", "apptenticate_blurry",
	"face_mismatch", "tampered_mrz", "expired_document", "argos_processing_error", "ooto_no_face",
	"low_liveness", "under_age", "apptenticate_cropped", "argos_unrecognised", "vendors_disagree",
}

// String returns the scenario's name, e.g. "argos_misreads_expiry".
func (s Scenario) String() string {
	if int(s) < len(scenarioNames) {
		return scenarioNames[s]
	}
	return fmt.Sprintf("scenario_%d", uint8(s))
}

// Scenarios lists every scenario, for pickers in the demo.
func Scenarios() []Scenario {
	out := make([]Scenario, scenarioCount)
	for i := range out {
		out[i] = Scenario(i)
	}
	return out
}

// ParseScenario returns the scenario with the given name.
func ParseScenario(name string) (Scenario, error) {
	for i, n := range scenarioNames {
		if n == name {
			return Scenario(i), nil
		}
	}
	return 0, fmt.Errorf("specimen: unknown scenario %q", name)
}

// Options shape a specimen. The zero value is a clean passport.
type Options struct {
	DocumentType DocumentType // anything but NationalID means Passport
	Scenario     Scenario
	Expired      bool
	UnderAge     bool
	// TamperMRZ prints the zone with a wrong document-number check digit.
	TamperMRZ bool
	// OtherFace draws somebody else on the selfie.
	OtherFace bool
	// Liveness is the score the face vendor reports, from 0.01 to 1, kept to two decimals so it
	// fits the image code; 0 means the default, 0.97.
	Liveness float64
	// Misreads and Errors are copied into the Subject on top of the scenario's.
	Misreads map[vendors.Name]map[vendors.FieldName]string
	Errors   map[vendors.Name]string
}

const defaultLiveness = 0.97

// effective applies the scenario and defaults.
func (o Options) effective() Options {
	if o.DocumentType != NationalID {
		o.DocumentType = Passport
	}
	switch o.Scenario {
	case FaceMismatch:
		o.OtherFace = true
	case TamperedMRZ:
		o.TamperMRZ = true
	case ExpiredDocument:
		o.Expired = true
	case UnderAge:
		o.UnderAge = true
	case LowLiveness:
		if o.Liveness == 0 {
			o.Liveness = 0.18
		}
	}
	if o.Liveness == 0 {
		o.Liveness = defaultLiveness
	}
	o.Liveness = math.Round(min(max(o.Liveness, 0.01), 1)*100) / 100
	return o
}

// flags packs the options that travel in the image code. custom says Misreads or Errors were
// given explicitly and must be looked up in this process's registry.
func (o Options) flags(custom bool) uint32 {
	f := uint32(o.Scenario) & 0x3f
	if o.DocumentType == NationalID {
		f |= 1 << 6
	}
	for i, b := range []bool{o.Expired, o.UnderAge, o.TamperMRZ, o.OtherFace, custom} {
		if b {
			f |= 1 << (8 + i)
		}
	}
	f |= uint32(math.Round(o.Liveness*100)) & 0x7f << 13
	return f
}

func optionsFromFlags(f uint32) (o Options, custom bool) {
	o.Scenario = Scenario(f & 0x3f)
	o.DocumentType = Passport
	if f>>6&3 == 1 {
		o.DocumentType = NationalID
	}
	bit := func(i int) bool { return f>>(8+i)&1 == 1 }
	o.Expired, o.UnderAge, o.TamperMRZ, o.OtherFace, custom = bit(0), bit(1), bit(2), bit(3), bit(4)
	o.Liveness = float64(f>>13&0x7f) / 100
	return o, custom
}

// Specimen is one generated document: its data, its images and what the vendor fakes read off it.
type Specimen struct {
	Seed    uint64
	Options Options // as applied, scenario included

	DocumentType   DocumentType
	Surname        string // as printed, diacritics kept
	GivenNames     string
	Sex            string // M, F or X
	DateOfBirth    time.Time
	PlaceOfBirth   string
	Nationality    string // ISO 3166-1 alpha-3
	IssuingCountry string // ISO 3166-1 alpha-3
	DocumentNumber string
	PersonalNumber string
	IssueDate      time.Time
	ExpiryDate     time.Time
	Authority      string
	Address        string
	// MRZ is the zone as printed (tampered when Options.TamperMRZ).
	MRZ []string

	// Front, Back and Selfie are JPEG images (quality 85); Back is nil for a passport.
	Front, Back, Selfie []byte
	// FrontImage, BackImage and SelfieImage are the images before encoding, for PNG output.
	FrontImage, BackImage, SelfieImage image.Image

	subject vendors.Subject
}

// Subject returns what the vendor fakes read off the specimen.
func (s Specimen) Subject() vendors.Subject { return cloneSubject(s.subject) }

// JPEGQuality is the quality the specimen images are encoded with.
const JPEGQuality = 85

// Generate draws the specimen that seed and opts determine. The same seed and options always give
// the same bytes.
func Generate(seed uint64, opts Options) Specimen {
	custom := len(opts.Misreads) > 0 || len(opts.Errors) > 0
	o := opts.effective()
	o.Misreads, o.Errors = cloneMaps(o.Misreads, o.Errors)
	s, l := build(seed, o)
	code := payload{seed: seed, flags: o.flags(custom)}
	if custom {
		remember(code, o.Misreads, o.Errors)
	}

	s.FrontImage = renderFront(l, s, code)
	if o.DocumentType == NationalID {
		s.BackImage = renderBack(l, s, code)
	}
	s.SelfieImage = renderSelfie(l, o, code)
	s.Front = mustJPEG(s.FrontImage)
	if s.BackImage != nil {
		s.Back = mustJPEG(s.BackImage)
	}
	s.Selfie = mustJPEG(s.SelfieImage)
	return *s
}

// build computes the data and the layout, without drawing: what Identify needs.
func build(seed uint64, o Options) (*Specimen, *layout) {
	p := newPerson(seed, o)
	s := &Specimen{
		Seed: seed, Options: o, DocumentType: o.DocumentType,
		Surname: p.surname, GivenNames: p.givenNames, Sex: p.sex, DateOfBirth: p.birth,
		PlaceOfBirth: p.placeOfBirth, Nationality: p.country.code, IssuingCountry: p.country.code,
		DocumentNumber: p.documentNumber, PersonalNumber: p.personalNumber,
		IssueDate: p.issue, ExpiryDate: p.expiry, Authority: p.authority, Address: p.address,
	}
	s.MRZ = zone(p, o)
	var l *layout
	if o.DocumentType == NationalID {
		l = idLayout(p, s)
	} else {
		l = passportLayout(p, s)
	}
	s.subject = subjectOf(s, l, o)
	mergeMaps(&s.subject, o.Misreads, o.Errors)
	return s, l
}

// zone writes the document's MRZ, tampered when asked.
func zone(p person, o Options) []string {
	d := mrz.Data{
		DocumentCode: "P", IssuingState: p.country.mrzCode, Nationality: p.country.mrzCode,
		Surname: p.surname, GivenNames: p.givenNames, DocumentNumber: p.documentNumber,
		BirthDate: p.birth, Sex: p.sex, ExpiryDate: p.expiry,
		PersonalNumber: strings.ReplaceAll(p.personalNumber, "-", ""),
	}
	f := mrz.TD3
	if o.DocumentType == NationalID {
		f = mrz.TD1
		d.DocumentCode = "ID"
		d.OptionalData1, d.PersonalNumber = d.PersonalNumber, ""
	}
	lines, err := mrz.Generate(f, d)
	if err != nil {
		// The person generator only makes values that fit; a failure here is a bug in it.
		panic(fmt.Sprintf("specimen: zone for seed data does not fit: %v", err))
	}
	if o.TamperMRZ {
		// The document number's check digit: line 1 position 15 on TD1, line 2 position 10 on TD3.
		li, pos := 1, 9
		if f == mrz.TD1 {
			li, pos = 0, 14
		}
		b := []byte(lines[li])
		b[pos] = '0' + (b[pos]-'0'+1)%10
		lines[li] = string(b)
	}
	return lines
}

func subjectOf(s *Specimen, l *layout, o Options) vendors.Subject {
	sub := vendors.Subject{
		Surname: s.Surname, GivenNames: s.GivenNames, DateOfBirth: s.DateOfBirth.Format(time.DateOnly),
		Sex: s.Sex, Nationality: s.Nationality, DocumentNumber: s.DocumentNumber,
		PersonalNumber: s.PersonalNumber, IssueDate: s.IssueDate.Format(time.DateOnly),
		ExpiryDate: s.ExpiryDate.Format(time.DateOnly), IssuingCountry: s.IssuingCountry,
		Address: s.Address, DocumentType: string(s.DocumentType),
		MRZ:   append([]string(nil), s.MRZ...),
		Boxes: map[vendors.FieldName]vendors.Box{},
		Width: l.w, Height: l.h,
		SameFace: !o.OtherFace,
		Liveness: o.Liveness,
	}
	// A value printed over two lines (the address) gets one box around both.
	rects := map[vendors.FieldName]image.Rectangle{}
	sides := map[vendors.FieldName]string{}
	for _, side := range []struct {
		name  string
		items []textItem
	}{{"front", l.front}, {"back", l.back}} {
		for _, t := range side.items {
			if t.field == "" {
				continue
			}
			if prev, ok := sides[t.field]; ok && prev != side.name {
				continue // boxed where it is first printed
			}
			rects[t.field] = rects[t.field].Union(t.bounds())
			sides[t.field] = side.name
		}
	}
	for f, r := range rects {
		sub.Boxes[f] = boxOf(r, sides[f])
	}
	pb := boxOf(l.portrait, "front")
	sub.Portrait = &pb

	misreads, errs := scenarioMaps(o.Scenario, s)
	sub.Misreads, sub.Errors = misreads, errs
	return sub
}

// scenarioMaps returns the Misreads and Errors a scenario asks for.
func scenarioMaps(sc Scenario, s *Specimen) (map[vendors.Name]map[vendors.FieldName]string, map[vendors.Name]string) {
	mis := map[vendors.Name]map[vendors.FieldName]string{}
	errs := map[vendors.Name]string{}
	switch sc {
	case ArgosMisreadsExpiry:
		mis[vendors.Argos] = map[vendors.FieldName]string{vendors.ExpiryDate: misreadYear(s.ExpiryDate)}
	case CynopsisMisreadsSurname:
		mis[vendors.CynopsisOCR] = map[vendors.FieldName]string{vendors.Surname: swapLetters(s.Surname)}
	case ApptenticateBlurry:
		errs[vendors.Apptenticate] = "826"
	case ArgosProcessingError:
		errs[vendors.Argos] = "1003"
	case OOTONoFace:
		errs[vendors.OOTO] = "5"
	case ApptenticateCropped:
		errs[vendors.Apptenticate] = "821"
	case ArgosUnrecognised:
		errs[vendors.Argos] = "1011"
	case VendorsDisagree:
		mis[vendors.Argos] = map[vendors.FieldName]string{vendors.DateOfBirth: swapDayMonth(s.DateOfBirth)}
		mis[vendors.CynopsisOCR] = map[vendors.FieldName]string{vendors.DocumentNumber: confuseDigit(s.DocumentNumber)}
	}
	if len(mis) == 0 {
		mis = nil
	}
	if len(errs) == 0 {
		errs = nil
	}
	return mis, errs
}

// misreadYear changes the last digit of the year to one OCR engines confuse it with.
func misreadYear(t time.Time) string {
	confused := [10]int{8, 7, 7, 8, 1, 6, 5, 1, 3, 8}
	y := t.Year()
	return time.Date(y-y%10+confused[y%10], t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// swapLetters swaps the second and third letters, a common transcription slip.
func swapLetters(s string) string {
	r := []rune(s)
	if len(r) >= 3 {
		r[1], r[2] = r[2], r[1]
		if r[1] == r[2] && len(r) >= 4 {
			r[2], r[3] = r[3], r[2]
		}
	}
	return string(r)
}

// swapDayMonth reads a date the American way round; when the day cannot be a month the day is
// read with its digits swapped instead, so the value always differs.
func swapDayMonth(t time.Time) string {
	d, m := t.Day(), int(t.Month())
	if d <= 12 && d != m {
		return time.Date(t.Year(), time.Month(d), m, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	nd := d%10*10 + d/10
	if nd == d { // 11, 22: swapping the digits changes nothing, so misread the last one
		nd = d%28 + 1
	}
	return fmt.Sprintf("%04d-%02d-%02d", t.Year(), m, nd)
}

// confuseDigit replaces the first 0 with O, 1 with I, 5 with S or 8 with B.
func confuseDigit(s string) string {
	for i, c := range s {
		if r, ok := map[rune]string{'0': "O", '1': "I", '5': "S", '8': "B"}[c]; ok && i > 0 {
			return s[:i] + r + s[i+1:]
		}
	}
	return s + "0"
}

// registry keeps the explicit Misreads and Errors of specimens generated in this process, keyed by
// their code, so Identify can give them back. It is bounded: the oldest entries go first.
var registry = struct {
	sync.Mutex
	m     map[payload]registered
	order []payload
}{m: map[payload]registered{}}

type registered struct {
	misreads map[vendors.Name]map[vendors.FieldName]string
	errors   map[vendors.Name]string
}

const registryLimit = 4096

func remember(p payload, mis map[vendors.Name]map[vendors.FieldName]string, errs map[vendors.Name]string) {
	mis, errs = cloneMaps(mis, errs)
	registry.Lock()
	defer registry.Unlock()
	if _, ok := registry.m[p]; !ok {
		registry.order = append(registry.order, p)
	}
	registry.m[p] = registered{mis, errs}
	for len(registry.order) > registryLimit {
		delete(registry.m, registry.order[0])
		registry.order = registry.order[1:]
	}
}

func recall(p payload) (registered, bool) {
	registry.Lock()
	defer registry.Unlock()
	r, ok := registry.m[p]
	return r, ok
}

// Identify recognises a specimen image (any side, or the selfie), JPEG or PNG, also after JPEG
// recompression or uniform downscaling, and returns the specimen's Subject. It reports false for
// any other image. It has the signature of vendors.Identifier.
func Identify(img []byte) (vendors.Subject, bool) {
	p, ok := readCode(img)
	if !ok {
		return vendors.Subject{}, false
	}
	o, custom := optionsFromFlags(p.flags)
	if o.Scenario >= scenarioCount || o.Liveness == 0 || p.flags>>6&3 > 1 {
		return vendors.Subject{}, false
	}
	if custom {
		if r, ok := recall(p); ok {
			o.Misreads, o.Errors = r.misreads, r.errors
		}
	}
	s, _ := build(p.seed, o)
	return s.Subject(), true
}

var _ vendors.Identifier = Identify

func cloneMaps(mis map[vendors.Name]map[vendors.FieldName]string, errs map[vendors.Name]string) (map[vendors.Name]map[vendors.FieldName]string, map[vendors.Name]string) {
	var m2 map[vendors.Name]map[vendors.FieldName]string
	if mis != nil {
		m2 = make(map[vendors.Name]map[vendors.FieldName]string, len(mis))
		for v, fs := range mis {
			inner := make(map[vendors.FieldName]string, len(fs))
			for f, val := range fs {
				inner[f] = val
			}
			m2[v] = inner
		}
	}
	var e2 map[vendors.Name]string
	if errs != nil {
		e2 = make(map[vendors.Name]string, len(errs))
		for v, c := range errs {
			e2[v] = c
		}
	}
	return m2, e2
}

// mergeMaps adds explicit Misreads and Errors on top of the scenario's.
func mergeMaps(sub *vendors.Subject, mis map[vendors.Name]map[vendors.FieldName]string, errs map[vendors.Name]string) {
	for v, fs := range mis {
		if sub.Misreads == nil {
			sub.Misreads = map[vendors.Name]map[vendors.FieldName]string{}
		}
		if sub.Misreads[v] == nil {
			sub.Misreads[v] = map[vendors.FieldName]string{}
		}
		for f, val := range fs {
			sub.Misreads[v][f] = val
		}
	}
	for v, c := range errs {
		if sub.Errors == nil {
			sub.Errors = map[vendors.Name]string{}
		}
		sub.Errors[v] = c
	}
}

func cloneSubject(s vendors.Subject) vendors.Subject {
	s.MRZ = append([]string(nil), s.MRZ...)
	boxes := make(map[vendors.FieldName]vendors.Box, len(s.Boxes))
	for k, v := range s.Boxes {
		boxes[k] = v
	}
	s.Boxes = boxes
	if s.Portrait != nil {
		p := *s.Portrait
		s.Portrait = &p
	}
	s.Misreads, s.Errors = cloneMaps(s.Misreads, s.Errors)
	return s
}

// EncodeJPEG encodes an image as JPEG at the given quality (1–100).
func EncodeJPEG(img image.Image, quality int) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("specimen: encode JPEG: %w", err)
	}
	return b.Bytes(), nil
}

// EncodePNG encodes an image as PNG.
func EncodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("specimen: encode PNG: %w", err)
	}
	return b.Bytes(), nil
}

// mustJPEG encodes an in-memory RGBA image, which cannot fail short of running out of memory.
func mustJPEG(img image.Image) []byte {
	b, err := EncodeJPEG(img, JPEGQuality)
	if err != nil {
		panic(err)
	}
	return b
}
