package specimen

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"kycdesk/internal/vendors"
)

// Image sizes: realistic for a phone capture cropped to the document, and well inside the
// vendors' 2 MB limits once encoded.
const (
	passportW, passportH = 1250, 880
	cardW, cardH         = 1000, 630
	selfieW, selfieH     = 640, 800
)

// layout is where everything goes on a specimen's images. It is computed without drawing so that
// Identify can report boxes cheaply.
type layout struct {
	w, h        int
	kind        DocumentType
	p           person
	fonts       faceSet
	front, back []textItem
	portrait    image.Rectangle
	ghost       image.Rectangle // the small second portrait
	signature   image.Rectangle
	mrzBand     image.Rectangle // on the back for an ID card
	stampAt     [2]float64
}

var months = [...]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}

// printedDate is how the documents print dates: "12 AUG 1974".
func printedDate(t time.Time) string {
	return fmt.Sprintf("%02d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

func inkColour(c country) color.RGBA  { return rgb(shade(c.ink, 0.45)) }
func textColour() color.RGBA          { return color.RGBA{25, 25, 35, 255} }
func headerColour(c country) [3]uint8 { return shade(c.ink, 0.55) }

// labelled adds a bilingual label and its value below it.
func (l *layout) labelled(items *[]textItem, label string, value string, x, y float64, field vendors.FieldName, valueSize float64) {
	c := l.p.country
	*items = append(*items,
		textItem{s: label, face: l.fonts.get(fontRegular, 14), x: x, y: y, color: inkColour(c)},
		textItem{s: value, face: l.fonts.get(fontMedium, valueSize), x: x, y: y + valueSize + 6, color: textColour(), field: field},
	)
}

func passportLayout(p person, s *Specimen) *layout {
	l := &layout{w: passportW, h: passportH, kind: Passport, p: p, fonts: faceSet{}}
	c := p.country
	hdr := rgb(headerColour(c))
	l.front = append(l.front,
		textItem{s: c.name, face: l.fonts.get(fontBold, 36), x: 60, y: 72, color: hdr},
		textItem{s: "PASSPORT · PASSEPORT · PASAPORTE", face: l.fonts.get(fontRegular, 18), x: 62, y: 104, color: hdr},
	)
	const colX, col2X = 430, 800
	l.labelled(&l.front, "Type / Type", "P", colX, 148, vendors.DocumentType, 26)
	l.labelled(&l.front, "Code / Code", c.code, colX+120, 148, vendors.IssuingCountry, 26)
	l.labelled(&l.front, "Passport No. / N° du passeport", s.DocumentNumber, colX+260, 148, vendors.DocumentNumber, 26)
	l.labelled(&l.front, "Surname / Nom", s.Surname, colX, 222, vendors.Surname, 28)
	l.labelled(&l.front, "Given names / Prénoms", s.GivenNames, colX, 292, vendors.GivenNames, 28)
	l.labelled(&l.front, "Nationality / Nationalité", c.nationality, colX, 362, vendors.Nationality, 25)
	l.labelled(&l.front, "Date of birth / Date de naissance", printedDate(s.DateOfBirth), colX, 427, vendors.DateOfBirth, 25)
	l.labelled(&l.front, "Sex / Sexe", s.Sex, col2X, 427, vendors.Sex, 25)
	l.labelled(&l.front, "Place of birth / Lieu de naissance", p.placeOfBirth, colX, 492, "", 25)
	if s.PersonalNumber != "" {
		l.labelled(&l.front, "Personal No. / N° personnel", s.PersonalNumber, col2X, 492, vendors.PersonalNumber, 25)
	}
	l.labelled(&l.front, "Date of issue / Date de délivrance", printedDate(s.IssueDate), colX, 557, vendors.IssueDate, 25)
	l.labelled(&l.front, "Authority / Autorité", p.authority, col2X, 557, "", 21)
	l.labelled(&l.front, "Date of expiry / Date d'expiration", printedDate(s.ExpiryDate), colX, 622, vendors.ExpiryDate, 25)

	l.portrait = image.Rect(60, 140, 360, 540)
	l.signature = image.Rect(70, 575, 350, 650)
	l.front = append(l.front, textItem{s: "Holder's signature / Signature du titulaire", face: l.fonts.get(fontRegular, 12),
		x: 70, y: 668, color: inkColour(c)})
	l.ghost = image.Rect(1075, 470, 1195, 630)

	l.mrzBand = image.Rect(0, 712, passportW, passportH)
	mono := l.fonts.get(fontMono, 40)
	for i, line := range s.MRZ {
		t := textItem{s: line, face: mono, y: float64(785 + i*58), color: color.RGBA{10, 10, 15, 255},
			field: []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2}[i]}
		t.x = (passportW - t.width()) / 2
		l.front = append(l.front, t)
	}
	l.stampAt = [2]float64{790, 430}
	return l
}

func idLayout(p person, s *Specimen) *layout {
	l := &layout{w: cardW, h: cardH, kind: NationalID, p: p, fonts: faceSet{}}
	c := p.country
	hdr := rgb(headerColour(c))
	title := c.name
	if c.code == "UTO" {
		title = "REPUBLIC OF UTOPIA"
	}
	l.front = append(l.front,
		textItem{s: title, face: l.fonts.get(fontBold, 30), x: 40, y: 62, color: hdr},
		textItem{s: "IDENTITY CARD · CARTE D'IDENTITÉ", face: l.fonts.get(fontRegular, 17), x: 42, y: 92, color: hdr},
	)
	const colX, col2X = 315, 560
	l.labelled(&l.front, "Surname / Nom", s.Surname, colX, 150, vendors.Surname, 26)
	l.labelled(&l.front, "Given names / Prénoms", s.GivenNames, colX, 215, vendors.GivenNames, 26)
	l.labelled(&l.front, "Sex / Sexe", s.Sex, colX, 280, vendors.Sex, 23)
	l.labelled(&l.front, "Nationality / Nationalité", c.code, colX+130, 280, vendors.Nationality, 23)
	l.labelled(&l.front, "Date of birth / Date de naissance", printedDate(s.DateOfBirth), colX, 342, vendors.DateOfBirth, 23)
	l.labelled(&l.front, "Document No. / N° du document", s.DocumentNumber, colX, 404, vendors.DocumentNumber, 23)
	if s.PersonalNumber != "" {
		l.labelled(&l.front, "Personal No. / N° personnel", s.PersonalNumber, colX+300, 404, vendors.PersonalNumber, 23)
	}
	l.labelled(&l.front, "Date of expiry / Date d'expiration", printedDate(s.ExpiryDate), colX, 466, vendors.ExpiryDate, 23)
	l.portrait = image.Rect(40, 130, 280, 450)
	l.signature = image.Rect(45, 490, 280, 560)
	l.front = append(l.front, textItem{s: "Signature / Signature", face: l.fonts.get(fontRegular, 12),
		x: 45, y: 578, color: inkColour(c)})
	l.ghost = image.Rect(col2X+270, 440, col2X+380, 585)
	l.stampAt = [2]float64{560, 330}

	// Back: address, issue details and the TD1 zone.
	l.back = append(l.back,
		textItem{s: c.name, face: l.fonts.get(fontBold, 24), x: 40, y: 60, color: hdr},
	)
	addr := strings.SplitN(s.Address, ", ", 2)
	l.labelled(&l.back, "Address / Adresse", addr[0], 40, 110, vendors.Address, 24)
	if len(addr) == 2 {
		l.back = append(l.back, textItem{s: addr[1], face: l.fonts.get(fontMedium, 24), x: 40, y: 110 + 30 + 32, color: textColour(), field: vendors.Address})
	}
	l.labelled(&l.back, "Place of birth / Lieu de naissance", p.placeOfBirth, 40, 205, "", 22)
	l.labelled(&l.back, "Date of issue / Date de délivrance", printedDate(s.IssueDate), 40, 265, vendors.IssueDate, 22)
	l.labelled(&l.back, "Authority / Autorité", p.authority, 40, 325, "", 20)
	l.mrzBand = image.Rect(0, 410, cardW, cardH)
	mono := l.fonts.get(fontMono, 44)
	for i, line := range s.MRZ {
		t := textItem{s: line, face: mono, y: float64(478 + i*60), color: color.RGBA{10, 10, 15, 255},
			field: []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3}[i]}
		t.x = (cardW - t.width()) / 2
		l.back = append(l.back, t)
	}
	return l
}
