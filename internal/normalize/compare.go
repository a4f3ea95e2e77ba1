package normalize

import (
	"sort"
	"strings"
	"time"
	"unicode"

	"kycdesk/internal/vendors"
)

// Kind is how the values of a field are normalised for comparison.
type Kind int

// Kinds of field.
const (
	KindText           Kind = iota // folded, punctuation and spacing collapsed
	KindSurname                    // a name whose word order matters, spacing and hyphens do not
	KindNames                      // given or full names: word order tolerated
	KindDate                       // a calendar date
	KindSex                        // M, F or X
	KindCountry                    // a country or nationality: ISO 3166-1 alpha-3 or ICAO code
	KindDocumentNumber             // case, spaces and MRZ fillers ignored, nothing else
	KindIdentifier                 // personal numbers: only letters and digits count
	KindAddress                    // folded, punctuation and spacing collapsed
	KindDocumentType               // passport, national_id, driving_licence, residence_permit, visa
	KindMRZ                        // an MRZ line: upper case, no spaces
)

// KindOf returns the kind of a canonical field.
func KindOf(f vendors.FieldName) Kind {
	switch f {
	case vendors.Surname:
		return KindSurname
	case vendors.GivenNames, vendors.FullName:
		return KindNames
	case vendors.DateOfBirth, vendors.IssueDate, vendors.ExpiryDate:
		return KindDate
	case vendors.Sex:
		return KindSex
	case vendors.Nationality, vendors.IssuingCountry:
		return KindCountry
	case vendors.DocumentNumber:
		return KindDocumentNumber
	case vendors.PersonalNumber:
		return KindIdentifier
	case vendors.Address:
		return KindAddress
	case vendors.DocumentType:
		return KindDocumentType
	case vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3:
		return KindMRZ
	}
	return KindText
}

// RoleOf returns the date role of a canonical date field.
func RoleOf(f vendors.FieldName) DateRole {
	switch f {
	case vendors.DateOfBirth:
		return DateBirth
	case vendors.IssueDate:
		return DateIssue
	case vendors.ExpiryDate:
		return DateExpiry
	}
	return DateAny
}

// Value is one source's value of a field, normalised.
type Value struct {
	// Raw is the value as the source gave it.
	Raw string
	// Normal is the normalised value as a reviewer reads it: "2034-03-09", "GBR", "M",
	// "MULLER ANNA".
	Normal string
	// Key is what is compared: two values agree when their keys are equal.
	Key string
	// Understood is false when the value could not be read as its kind (a date that is no date,
	// a country nobody knows); it is then compared as folded text.
	Understood bool
	// Note explains a normalisation a reviewer may not expect ("MALAYSIAN → Malaysia").
	Note string
}

// Normalise normalises a value of field f; now resolves two-digit years.
func Normalise(f vendors.FieldName, raw string, now time.Time) Value {
	v := Value{Raw: raw}
	s := strings.TrimSpace(raw)
	if s == "" {
		return v
	}
	switch KindOf(f) {
	case KindSurname, KindNames:
		toks := NameTokens(s)
		v.Normal = strings.ToUpper(strings.Join(toks, " "))
		v.Key = NameKey(s, KindOf(f) == KindNames)
		v.Understood = v.Key != ""
	case KindDate:
		if t, ok := ParseDate(s, RoleOf(f), now); ok {
			v.Normal, v.Key, v.Understood = t.Format(time.DateOnly), t.Format(time.DateOnly), true
		}
	case KindSex:
		if x, ok := Sex(s); ok {
			v.Normal, v.Key, v.Understood = x, x, true
		}
	case KindCountry:
		if c, ok := LookupCountry(s); ok {
			v.Normal, v.Key, v.Understood = c.Alpha3, c.Alpha3, true
			if !strings.EqualFold(s, c.Alpha3) {
				v.Note = c.Name
			}
		}
	case KindDocumentNumber:
		v.Normal = DocumentNumber(s)
		v.Key, v.Understood = v.Normal, v.Normal != ""
	case KindIdentifier:
		v.Normal = Identifier(s)
		v.Key, v.Understood = v.Normal, v.Normal != ""
	case KindDocumentType:
		if t, ok := DocumentType(s); ok {
			v.Normal, v.Key, v.Understood = t, t, true
		}
	case KindMRZ:
		v.Normal = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return unicode.ToUpper(r)
		}, s)
		v.Key, v.Understood = v.Normal, v.Normal != ""
	default: // text and addresses
		v.Normal = strings.ToUpper(SearchKey(s))
		v.Key, v.Understood = SearchKey(s), SearchKey(s) != ""
	}
	if !v.Understood {
		// Compared as text, so two sources that wrote the same unreadable thing still agree.
		v.Normal = strings.ToUpper(SearchKey(s))
		v.Key = "?" + SearchKey(s)
		if v.Normal == "" {
			v.Normal, v.Key = s, "?"+s
		}
	}
	return v
}

// nameApostrophes are dropped inside names: the MRZ writes O'BRIEN as OBRIEN.
var nameApostrophes = strings.NewReplacer("'", "", "’", "", "ʼ", "", "`", "", "´", "")

// NameTokens splits a name into its words, folded to lower case without accents: fillers ('<'),
// hyphens, commas and spaces separate words, apostrophes join them ("O'Brien-Smith" → "obrien",
// "smith"), as the MRZ writes names.
func NameTokens(s string) []string {
	s = nameApostrophes.Replace(s)
	s = Fold(s)
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// transliterations are the ICAO 9303 spellings of letters that folding reduces to one letter
// (Ä → AE, Ö → OE, Ü → UE, Å → AA, Ñ → NXX): a key replaces them by that one letter, so MÜLLER,
// MUELLER and MULLER are one name.
var transliterations = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u", "aa", "a", "nxx", "n")

// NameKey is the comparison key of a name: its words without accents, with ICAO transliterations
// reduced, run together (so "ANNA MARIA", "ANNA-MARIA" and "ANNAMARIA" agree). anyOrder sorts the
// words first, for given and full names, where vendors and people do not agree on the order.
func NameKey(s string, anyOrder bool) string {
	toks := NameTokens(s)
	for i, t := range toks {
		toks[i] = transliterations.Replace(t)
	}
	if anyOrder {
		sort.Strings(toks)
	}
	return strings.Join(toks, "")
}

// Sex normalises a sex to M, F or X: M, F, X, MALE, FEMALE, 1, 2, the MRZ's '<' and a few words
// documents print in other languages.
func Sex(s string) (string, bool) {
	switch SearchKey(s) {
	case "m", "male", "man", "masculine", "masculino", "masculin", "mannlich", "1":
		return "M", true
	case "f", "female", "woman", "feminine", "femenino", "feminin", "weiblich", "w", "2":
		return "F", true
	case "x", "unspecified", "other", "diverse", "nonbinary", "non binary", "u", "unknown", "9":
		return "X", true
	}
	if strings.TrimSpace(s) == "<" {
		return "X", true
	}
	return "", false
}

// DocumentNumber normalises a document number: upper case, without spaces or MRZ fillers. Nothing
// else is forgiven: O and 0 are different characters, and a vendor that reads one for the other
// disagrees.
func DocumentNumber(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '<' {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// Identifier normalises a personal number: upper case letters and digits only, since documents
// print "850101-14-5566" where the MRZ writes 850101145566.
func Identifier(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToUpper(r)
		}
		return -1
	}, Fold(s))
}

// DocumentType normalises a document type to passport, national_id, driving_licence,
// residence_permit or visa, from the words vendors use ("PASSPORT", "ID_CARD", "NATIONAL
// IDENTITY CARD", "DRIVERS_LICENSE") and the MRZ's document codes (P, I, ID, V).
func DocumentType(s string) (string, bool) {
	k := SearchKey(s)
	switch k {
	case "passport", "international passport", "passport plus", "p", "pp", "passeport", "pasaporte", "reisepass", "passaporto",
		"passaporte", "pd", "po", "ps":
		return "passport", true
	case "national id", "national id card", "id card", "id", "i", "identity card", "national identity card", "idcard",
		"identification card", "government id", "nric", "id document", "identity document", "carte d identite", "dni",
		"personalausweis":
		return "national_id", true
	case "driving licence", "driving license", "drivers license", "drivers licence", "driver license", "driver licence",
		"driver s license", "driver s licence", "dl":
		return "driving_licence", true
	case "residence permit", "residence card", "residence permit card", "permit", "ir", "rp":
		return "residence_permit", true
	case "visa", "v", "vb", "va":
		return "visa", true
	case "other", "others", "other document":
		return "other", true
	}
	return "", false
}

// Group is a set of sources whose values agree.
type Group struct {
	// Value is the group's normalised value, as a reviewer reads it.
	Value string
	Key   string
	// Sources are the sources in the group, sorted.
	Sources []string
}

// Reading is one source's value in a comparison.
type Reading struct {
	Source string
	Value
	// Group is the index of the reading's group in Comparison.Groups.
	Group int
}

// Comparison is the values several sources give for one field, normalised and grouped.
type Comparison struct {
	Field vendors.FieldName
	// Readings are the sources that gave a value, by source.
	Readings map[string]Reading
	// Groups are the sets of agreeing sources, the largest first (ties: by first source name).
	Groups []Group
	// Disagree is true when at least two sources gave values that do not agree.
	Disagree bool
}

// Compare normalises the values sources give for field f (source → raw value; empty values are
// left out) and groups the sources that agree. Two-digit years resolve against the current time;
// see CompareAt.
func Compare(f vendors.FieldName, sources map[string]string) Comparison {
	return CompareAt(f, sources, time.Now())
}

// CompareAt is Compare with two-digit years resolved against now.
func CompareAt(f vendors.FieldName, sources map[string]string, now time.Time) Comparison {
	c := Comparison{Field: f, Readings: map[string]Reading{}}
	names := make([]string, 0, len(sources))
	for s, raw := range sources {
		if strings.TrimSpace(raw) != "" {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	byKey := map[string]int{}
	for _, s := range names {
		v := Normalise(f, sources[s], now)
		i, ok := byKey[v.Key]
		if !ok {
			i = len(c.Groups)
			byKey[v.Key] = i
			c.Groups = append(c.Groups, Group{Value: v.Normal, Key: v.Key})
		}
		c.Groups[i].Sources = append(c.Groups[i].Sources, s)
		c.Readings[s] = Reading{Source: s, Value: v}
	}
	sort.SliceStable(c.Groups, func(i, j int) bool { return len(c.Groups[i].Sources) > len(c.Groups[j].Sources) })
	for i, g := range c.Groups {
		for _, s := range g.Sources {
			r := c.Readings[s]
			r.Group = i
			c.Readings[s] = r
		}
	}
	c.Disagree = len(c.Groups) > 1
	return c
}

// Agree reports whether sources a and b both gave a value and the values agree.
func (c Comparison) Agree(a, b string) bool {
	ra, okA := c.Readings[a]
	rb, okB := c.Readings[b]
	return okA && okB && ra.Key == rb.Key
}

// Majority returns the largest group when it is larger than every other.
func (c Comparison) Majority() (Group, bool) {
	switch {
	case len(c.Groups) == 0:
		return Group{}, false
	case len(c.Groups) == 1 || len(c.Groups[0].Sources) > len(c.Groups[1].Sources):
		return c.Groups[0], true
	}
	return Group{}, false
}
