package argos

import "sort"

// codeInfo is one row of the page's error table: Argos' own description, and what it means for a
// reviewer in plain words.
type codeInfo struct {
	description string // as published, also what the fake sends as message
	meaning     string
	// document: Argos examined the images and could not recognise the document (a refusal of the
	// document, not of the request).
	document bool
	// transient: Argos failed on its side and asks to be sent the request again ("please retry").
	transient bool
}

// codes are the errorCode values the page documents (all with HTTP 400). 1002, 1004 and
// 1007–1009 are not published and so are not here.
var codes = map[string]codeInfo{
	"1001": {"Workspace is unavailable", "The Argos workspace is not operating at the moment; ask the Argos account owner to check it.", false, false},
	"1003": {"Fail to process data", "Argos had a problem processing the data; sending the document again later may work.", false, true},
	"1005": {"idImage is required", "The front image of the document was not received by Argos.", false, false},
	"1006": {"issuingCountry is required", "The issuing country was not received by Argos.", false, false},
	"1010": {"callbackUrl is required", "Argos needs a callback URL for this request and none was received.", false, false},
	"1011": {"Fail to recognize idCard", "Argos could not recognise the front of the document: it does not look like the issuing country and document type given.", true, false},
	"1012": {"Fail to recognize back of an idCard", "Argos could not recognise the back of the document: it does not look like the issuing country and document type given.", true, false},
	"1013": {"Invalid image format", "The image was not accepted: it is not plain base64 of a JPEG, PNG or BMP file.", false, false},
	"1014": {"idType is required", "The document type was not received by Argos.", false, false},
	"1015": {"invalid inputs : missing fields", "Argos found a missing or invalid field in the request.", false, false},
}

// Meaning returns the plain-words meaning of an Argos errorCode, or "" for an undocumented one.
func Meaning(code string) string { return codes[code].meaning }

// Transient reports whether a documented errorCode is a failure on Argos' side that the page
// asks to retry (1003: "Server had problem in processing data please retry").
func Transient(code string) bool { return codes[code].transient }

// RefusesDocument reports whether a documented errorCode refuses the document itself (Argos could
// not recognise it) rather than the request.
func RefusesDocument(code string) bool { return codes[code].document }

// Codes lists the documented errorCode values in ascending order.
func Codes() []string {
	out := make([]string, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// description is Argos' own message for a code, as the page publishes it.
func description(code string) string { return codes[code].description }
