package vendors

// Subject is what a vendor fake "reads" off an image: the data printed on a synthetic specimen
// document, where each field was drawn, and the scenario the specimen asks the fakes to play.
// The specimen package produces Subjects; the fakes consume them through an Identifier, so the
// simulator answers with results that match the demo documents instead of fixed samples.
type Subject struct {
	Surname        string // as printed, e.g. "ERIKSSON"
	GivenNames     string // e.g. "ANNA MARIA"
	DateOfBirth    string // YYYY-MM-DD
	Sex            string // M, F or X
	Nationality    string // ISO 3166-1 alpha-3, e.g. "UTO" or "MYS"
	DocumentNumber string
	PersonalNumber string
	IssueDate      string // YYYY-MM-DD
	ExpiryDate     string // YYYY-MM-DD
	IssuingCountry string // ISO 3166-1 alpha-3
	Address        string
	// DocumentType is one of "passport", "national_id", "driving_licence", "residence_permit", "other".
	DocumentType string
	MRZ          []string // the MRZ lines as printed (2 or 3), empty when the document has none

	// Boxes says where each field was drawn on the front image, in that image's pixels.
	Boxes map[FieldName]Box
	// Portrait is the box of the portrait photo on the front image.
	Portrait *Box
	// Width and Height are the front image's size in pixels, so boxes can be rescaled when a
	// client downscaled the image before sending it.
	Width, Height int

	// Misreads makes one vendor read a field wrongly: Misreads[Argos][ExpiryDate] = "2031-01-01".
	// It is how demo cases show vendors disagreeing.
	Misreads map[Name]map[FieldName]string
	// Errors makes a vendor answer with one of its documented error codes instead of a result:
	// Errors[Apptenticate] = "826".
	Errors map[Name]string
	// SameFace is false when the specimen's selfie shows somebody else (face match should fail).
	SameFace bool
	// Liveness is the liveness score the face vendor should report (0 to 1).
	Liveness float64
}

// Identifier recognises the Subject drawn on an image (any of its sides, or the selfie). It reports
// false for an image it does not know; fakes then answer with a plausible generic reading.
type Identifier func(img []byte) (Subject, bool)
