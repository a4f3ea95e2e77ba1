package mrz

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var utopia = Data{
	DocumentCode: "P", IssuingState: "UTO", Nationality: "UTO", Surname: "Eriksson",
	GivenNames: "Anna Maria", DocumentNumber: "L898902C3", BirthDate: date(1974, 8, 12), Sex: "F",
	ExpiryDate: date(2012, 4, 15), PersonalNumber: "ZE184226B",
}

func TestGenerateReproducesSpecimens(t *testing.T) {
	td1 := utopia
	td1.DocumentCode, td1.DocumentNumber, td1.PersonalNumber = "I", "D23145890", ""
	long := td1
	long.DocumentNumber = "D23145890734"
	tests := []struct {
		name   string
		format Format
		data   Data
		want   []string
	}{
		{"TD3", TD3, utopia, []string{utoTD3L1, utoTD3L2}},
		{"TD1", TD1, td1, []string{utoTD1L1, utoTD1L2, utoTD1L3}},
		{"TD1 long number", TD1, long, []string{"I<UTOD23145890<7349<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", utoTD1L3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Generate(tt.format, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Generate =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestRoundTrip writes zones of every format and reads them back.
func TestRoundTrip(t *testing.T) {
	base := Data{
		IssuingState: "MYS", Nationality: "SGP", Surname: "Tanaka-Lindqvist", GivenNames: "Zoë  Ann",
		DocumentNumber: "X1234567", BirthDate: date(1990, 2, 28), Sex: "X", ExpiryDate: date(2031, 11, 30),
	}
	tests := []struct {
		name   string
		format Format
		edit   func(*Data)
		check  func(*testing.T, *MRZ)
	}{
		{"TD3 with personal number", TD3, func(d *Data) { d.DocumentCode, d.PersonalNumber = "P", "880101-14-5566" },
			func(t *testing.T, m *MRZ) {
				if m.PersonalNumber != "880101<14<5566" {
					t.Errorf("PersonalNumber = %q", m.PersonalNumber)
				}
			}},
		{"TD3 without personal number", TD3, func(d *Data) { d.DocumentCode = "PM" }, nil},
		{"TD1 with optional data", TD1, func(d *Data) {
			d.DocumentCode, d.OptionalData1, d.OptionalData2 = "ID", "S3344556D", "AB12"
		}, func(t *testing.T, m *MRZ) {
			if m.OptionalData1 != "S3344556D" || m.OptionalData2 != "AB12" {
				t.Errorf("optional data %q %q", m.OptionalData1, m.OptionalData2)
			}
		}},
		{"TD1 long number with optional data", TD1, func(d *Data) {
			d.DocumentCode, d.DocumentNumber, d.OptionalData1 = "I", "AB123456789012", "XY9"
		}, func(t *testing.T, m *MRZ) {
			if m.DocumentNumber != "AB123456789012" || m.OptionalData1 != "XY9" {
				t.Errorf("number %q optional %q", m.DocumentNumber, m.OptionalData1)
			}
		}},
		{"TD1 long number filling the optional field", TD1, func(d *Data) {
			d.DocumentCode, d.DocumentNumber = "I", "D2314589012345678901234"
		}, func(t *testing.T, m *MRZ) {
			if m.DocumentNumber != "D2314589012345678901234" || m.OptionalData1 != "" {
				t.Errorf("number %q optional %q", m.DocumentNumber, m.OptionalData1)
			}
		}},
		{"TD2", TD2, func(d *Data) { d.DocumentCode, d.OptionalData1 = "I", "K7" }, nil},
		{"TD2 long number", TD2, func(d *Data) { d.DocumentCode, d.DocumentNumber = "I", "X123456789AB" },
			func(t *testing.T, m *MRZ) {
				if m.DocumentNumber != "X123456789AB" {
					t.Errorf("number %q", m.DocumentNumber)
				}
			}},
		{"MRV-A", MRVA, func(d *Data) { d.DocumentCode, d.OptionalData1 = "V", "VISA2" }, nil},
		{"MRV-B", MRVB, func(d *Data) { d.DocumentCode = "VC" }, nil},
		{"unknown dates", TD3, func(d *Data) {
			d.DocumentCode, d.BirthDate, d.ExpiryDate = "P", time.Time{}, time.Time{}
		}, func(t *testing.T, m *MRZ) {
			if m.BirthDate.Raw != "<<<<<<" || m.ExpiryDate.Known() {
				t.Errorf("dates %+v %+v", m.BirthDate, m.ExpiryDate)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			tt.edit(&d)
			lines, err := Generate(tt.format, d)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseAt(strings.Join(lines, "\n"), now)
			if err != nil {
				t.Fatalf("ParseAt(%q): %v", lines, err)
			}
			if !m.Valid() {
				t.Errorf("generated zone is not valid: %q failed %+v problems %q", lines, m.Failed(), m.Problems)
			}
			if m.Format != tt.format {
				t.Errorf("Format = %s, want %s", m.Format, tt.format)
			}
			if m.Surname != "TANAKA LINDQVIST" || m.GivenNames != "ZOE ANN" || m.Sex != "X" {
				t.Errorf("name %q / %q sex %q", m.Surname, m.GivenNames, m.Sex)
			}
			if m.IssuingState != "MYS" || m.Nationality != "SGP" {
				t.Errorf("states %q %q", m.IssuingState, m.Nationality)
			}
			if !d.BirthDate.IsZero() && (!m.BirthDate.Time.Equal(d.BirthDate) || !m.ExpiryDate.Time.Equal(d.ExpiryDate)) {
				t.Errorf("dates %s %s", m.BirthDate, m.ExpiryDate)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestNameField(t *testing.T) {
	tests := []struct {
		surname, given string
		width          int
		want           string
	}{
		{"Eriksson", "Anna Maria", 39, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"},
		{"Müller-Lüdenscheidt", "Jürgen", 30, "MUELLER<LUEDENSCHEIDT<<JUERGEN"},
		{"O'Neill", "Seán", 30, "ONEILL<<SEAN<<<<<<<<<<<<<<<<<<"},
		{"Núñez de la Peña", "José", 30, "NUNEZ<DE<LA<PENA<<JOSE<<<<<<<<"},
		{"Strauß", "Ærø Øle", 30, "STRAUSS<<AEROE<OELE<<<<<<<<<<<"},
		{"Eriksson", "", 20, "ERIKSSON<<<<<<<<<<<<"},
		// ICAO 9303 part 3 truncation: given names are cut first, from the end; a truncated name
		// fills the field and ends in a letter, never a filler.
		{"Eriksson", "Anna Maria Christina", 25, "ERIKSSON<<ANNA<MARIA<CHRI"},
		{"Eriksson", "Anna Maria Christina", 20, "ERIKSSON<<ANNA<MARIA"},
		// A cut on a separator ("ANNA<|MARIA") would leave a filler last: the name before it gives
		// up a letter for the next one's initial.
		{"Eriksson", "Anna Maria", 15, "ERIKSSON<<ANN<M"},
		{"Eriksson", "Anna Maria Christina", 21, "ERIKSSON<<ANNA<MARI<C"},
		// A cut right after "<<" would leave the given names empty: the surname gives up letters
		// so that the field still ends in a letter.
		{"Eriksson", "Anna", 10, "ERIKSSO<<A"},
		{"Eriksson", "Anna", 9, "ERIKSS<<A"},
		// The surname alone is too long: it is cut, components as above.
		{"Vandenberghe-Oosterlinck", "Anna", 20, "VANDENBERGHE<OOSTERL"},
		{"Vandenberghe-Oosterlinck", "Anna", 13, "VANDENBERGH<O"},
		{"Vandenberghe-Oosterlinck", "", 13, "VANDENBERGH<O"},
		// Nothing but initials can make a full field impossible: one character short then.
		{"X", "A B C", 7, "X<<A<B<"},
	}
	for _, tt := range tests {
		got, err := nameField(tt.surname, tt.given, tt.width)
		if err != nil || got != tt.want {
			t.Errorf("nameField(%q, %q, %d) = %q, %v; want %q", tt.surname, tt.given, tt.width, got, err, tt.want)
		}
		if len(got) != tt.width {
			t.Errorf("nameField(%q, %q) has %d characters, want %d", tt.surname, tt.given, len(got), tt.width)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		edit   func(*Data)
	}{
		{"TD3 number longer than 9", TD3, func(d *Data) { d.DocumentNumber = "L898902C31" }},
		{"TD1 number too long for the optional field", TD1, func(d *Data) {
			d.DocumentCode, d.DocumentNumber = "I", "D23145890123456789012345"
		}},
		{"bad character in number", TD3, func(d *Data) { d.DocumentNumber = "L89/902" }},
		{"name in another script", TD3, func(d *Data) { d.Surname = "Иванов" }},
		{"empty surname", TD3, func(d *Data) { d.Surname = " " }},
		{"empty document code", TD3, func(d *Data) { d.DocumentCode = "" }},
		{"visa code on a passport", TD3, func(d *Data) { d.DocumentCode = "V" }},
		{"passport code on a visa", MRVA, func(d *Data) { d.DocumentCode = "P" }},
		{"four-letter state", TD3, func(d *Data) { d.IssuingState = "UTOP" }},
		{"personal number too long", TD3, func(d *Data) { d.PersonalNumber = "123456789012345" }},
		{"unknown format", Format("TD4"), func(d *Data) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := utopia
			tt.edit(&d)
			if lines, err := Generate(tt.format, d); err == nil {
				t.Errorf("Generate = %q, want error", lines)
			}
		})
	}
}
