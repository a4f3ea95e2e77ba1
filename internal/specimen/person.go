package specimen

import (
	"fmt"
	"strings"
	"time"
)

// rng is splitmix64: tiny, and its sequence is fixed by this file rather than by a library whose
// algorithm could change between Go releases, so a seed means the same person forever.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// ReferenceDate is the day every specimen's dates are computed from, so that a seed always gives
// the same document. Documents that are not meant to be expired expire no earlier than 2031, and
// under-age holders stay under 18 until at least 2029.
var ReferenceDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// country is what a specimen needs to know about an issuing state.
type country struct {
	code        string // ISO 3166-1 alpha-3
	mrzCode     string // as ICAO prints it in the zone ("D" for Germany)
	name        string // as printed in the header
	nationality string // as printed in the nationality field
	cities      []string
	// personal formats the personal number from the birth date and digits.
	personal func(r *rng, birth time.Time, sex string) string
	// paper is the page's base tint and line tint.
	paper, ink [3]uint8
}

func digits(r *rng, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.intn(10)))
	}
	return b.String()
}

func letters(r *rng, n int) string {
	const alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ" // no I, O, Q: they read as digits
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[r.intn(len(alphabet))])
	}
	return b.String()
}

// countries mixes ICAO's fictional Utopia with a few real issuing states, for realistic demos.
// Every person and number on these documents is invented.
var countries = []country{
	{
		code: "UTO", mrzCode: "UTO", name: "UTOPIA", nationality: "UTOPIAN",
		cities: []string{"UTOPIA CITY", "NEW ARCADIA", "PORT ELYSIUM"},
		personal: func(r *rng, _ time.Time, _ string) string {
			return letters(r, 2) + digits(r, 6) + letters(r, 1)
		},
		paper: [3]uint8{232, 243, 238}, ink: [3]uint8{120, 175, 160},
	},
	{
		code: "MYS", mrzCode: "MYS", name: "MALAYSIA", nationality: "MALAYSIAN",
		cities: []string{"KUALA LUMPUR", "GEORGE TOWN", "JOHOR BAHRU"},
		personal: func(r *rng, birth time.Time, _ string) string {
			return birth.Format("060102") + "-" + digits(r, 2) + "-" + digits(r, 4)
		},
		paper: [3]uint8{246, 234, 236}, ink: [3]uint8{176, 110, 130},
	},
	{
		code: "SGP", mrzCode: "SGP", name: "SINGAPORE", nationality: "SINGAPOREAN",
		cities: []string{"SINGAPORE"},
		personal: func(r *rng, birth time.Time, _ string) string {
			prefix := "S"
			if birth.Year() >= 2000 {
				prefix = "T"
			}
			return prefix + digits(r, 7) + letters(r, 1)
		},
		paper: [3]uint8{248, 238, 230}, ink: [3]uint8{200, 120, 100},
	},
	{
		code: "GBR", mrzCode: "GBR", name: "UNITED KINGDOM", nationality: "BRITISH CITIZEN",
		cities:   []string{"LONDON", "LEEDS", "BRISTOL", "GLASGOW"},
		personal: func(r *rng, _ time.Time, _ string) string { return "" },
		paper:    [3]uint8{240, 236, 248}, ink: [3]uint8{140, 120, 190},
	},
	{
		code: "DEU", mrzCode: "D", name: "GERMANY", nationality: "DEUTSCH",
		cities:   []string{"BERLIN", "HAMBURG", "KÖLN", "MÜNCHEN"},
		personal: func(r *rng, _ time.Time, _ string) string { return "" },
		paper:    [3]uint8{241, 240, 236}, ink: [3]uint8{150, 140, 120},
	},
	{
		code: "FRA", mrzCode: "FRA", name: "FRANCE", nationality: "FRANÇAISE",
		cities:   []string{"PARIS", "LYON", "NANTES", "BORDEAUX"},
		personal: func(r *rng, _ time.Time, _ string) string { return "" },
		paper:    [3]uint8{234, 240, 250}, ink: [3]uint8{110, 140, 200},
	},
	{
		code: "ESP", mrzCode: "ESP", name: "ESPAÑA", nationality: "ESPAÑOLA",
		cities: []string{"MADRID", "SEVILLA", "VALENCIA", "ZARAGOZA"},
		personal: func(r *rng, _ time.Time, _ string) string {
			const control = "TRWAGMYFPDXBNJZSQVHLCKE"
			n := r.between(10000000, 99999999)
			return fmt.Sprintf("%08d%c", n, control[n%23])
		},
		paper: [3]uint8{248, 242, 228}, ink: [3]uint8{190, 150, 90},
	},
}

// Invented surnames: plausible-looking but made up for these specimens. A few carry diacritics
// or hyphens so the zone's transliteration shows up in demos.
var surnames = []string{
	"ADELMORNE", "BRIXHALDEN", "CALDERWYNE", "DORVANSKA", "ELSWORTHIN", "FENWARROW", "GALLOVANE",
	"HARTVIGSTAD", "IVERSTRANDE", "KESTRAVEL", "LOMBARDELLE", "MORVANEZ", "NAKAVORI", "OKWUDEMBE",
	"PERIGRANE", "QUANTRELLO", "ROSSELINDT", "SOLVANG-TEOH", "TARANTELLO", "UMBERFIELDE",
	"VALDEMORRA", "WINTERQUIST", "YSOLDEVA", "ZANDERVELT", "MÜLLERSTRANDE", "NÚÑEZ-OLVERA",
	"BJØRNAVIK", "LEE-QUARSTON", "TANVIRELLI", "OYELARANDE",
}

var givenFemale = []string{
	"ANNA MARIA", "ELODIE", "SOFIA", "MEI LIN", "AMARA", "INGRID", "ZARA", "LUCÍA", "NOOR",
	"HANNELORE", "PRIYA", "CHIAMAKA", "SIOBHAN", "YUKI", "ROSA ELENA", "AÏSHA",
}

var givenMale = []string{
	"TOBIAS", "RAFAEL", "KENJI", "OLUMIDE", "MATTEO", "ARJUN", "LEON", "FINN ERIK",
	"JUAN CARLOS", "WEI JIE", "MALIK", "JOSÉ ANTONIO", "HAMISH", "DMITRI", "KWAME", "EMIL",
}

var streets = []string{
	"LARKSPUR LANE", "QUILLON STREET", "HARBOURVIEW CLOSE", "MERIDIAN AVENUE", "ORCHARD ROW",
	"KINGFISHER WALK", "SPECIMEN ROAD", "LANTERN HILL", "CEDARWAY", "FOXGLOVE CRESCENT",
}

// person is an invented document holder and the document issued to them.
type person struct {
	country        country
	surname        string
	givenNames     string
	sex            string
	birth          time.Time
	placeOfBirth   string
	address        string
	documentNumber string
	personalNumber string
	issue, expiry  time.Time
	authority      string
	face           faceParams
	otherFace      faceParams
}

func newPerson(seed uint64, o Options) person {
	r := &rng{s: seed}
	p := person{country: pick(r, countries)}
	p.surname = pick(r, surnames)
	switch r.intn(20) {
	case 0:
		p.sex = "X"
		p.givenNames = pick(r, append(givenFemale[:len(givenFemale):len(givenFemale)], givenMale...))
	case 1, 2, 3, 4, 5, 6, 7, 8, 9:
		p.sex = "F"
		p.givenNames = pick(r, givenFemale)
	default:
		p.sex = "M"
		p.givenNames = pick(r, givenMale)
	}

	ageYears := r.between(19, 74)
	if o.UnderAge {
		ageYears = r.between(10, 14)
	}
	p.birth = ReferenceDate.AddDate(-ageYears, 0, -r.between(0, 364))

	c := p.country
	p.placeOfBirth = pick(r, c.cities)
	p.address = fmt.Sprintf("%d %s, %s", r.between(1, 240), pick(r, streets), pick(r, c.cities))

	validYears := 10
	if o.UnderAge {
		validYears = 5
	}
	if o.Expired {
		// Expired between one and three years before the reference date.
		p.expiry = ReferenceDate.AddDate(-r.between(1, 3), -r.between(0, 11), -r.between(0, 27))
		p.issue = p.expiry.AddDate(-validYears, 0, 1)
	} else {
		p.issue = ReferenceDate.AddDate(0, -r.between(1, 30), -r.between(0, 27))
		p.expiry = p.issue.AddDate(validYears, 0, -1)
	}
	if p.issue.Before(p.birth) {
		p.issue = p.birth.AddDate(0, 1, 0)
	}

	if o.DocumentType == NationalID {
		p.documentNumber = letters(r, 1) + digits(r, 8)
	} else {
		p.documentNumber = letters(r, 2) + digits(r, 7)
	}
	p.personalNumber = c.personal(r, p.birth, p.sex)
	p.authority = "MINISTRY OF THE INTERIOR"
	if c.code == "UTO" {
		p.authority = "UTOPIA PASSPORT OFFICE"
	}
	p.face = newFace(r, p.sex)
	other := &rng{s: seed ^ 0x5bd1e9955bd1e995}
	p.otherFace = newFace(other, p.sex)
	p.otherFace.differFrom(p.face)
	return p
}
