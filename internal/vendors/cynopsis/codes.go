package cynopsis

import (
	"sort"
	"strconv"
	"strings"
)

// reasonCodes are the docver reasonCodes the OCR and IDV v2 answer documents (Veriff conventions),
// in the words a reviewer reads beside the verdict.
var reasonCodes = map[string]string{
	"105": "Suspicious behaviour was detected during the verification.",
	"112": "The verification was made from a restricted IP location.",
	"127": "The face matched a face on the vendor's blocklist.",
	"504": "The document was shown on a device screen instead of being presented physically.",
	"505": "A printout of the document was used instead of the original.",
	"508": "The document appears to have been tampered with.",
	"608": "The front of the document is missing.",
	"609": "The back of the document is missing.",
	"614": "The front of the document is not fully in the frame.",
	"615": "The back of the document is not fully in the frame.",
	"619": "The data on the document is not visible.",
	"620": "The document has expired.",
	"621": "The document is annulled or damaged.",
	"625": "The surname could not be read.",
	"626": "The first names could not be read.",
	"627": "The date of birth could not be read.",
	"628": "The issue date could not be read.",
	"629": "The expiry date could not be read.",
	"630": "The gender could not be read.",
	"631": "The document number could not be read.",
	"632": "The personal number could not be read.",
	"633": "The nationality could not be read.",
	"634": "The home address could not be read.",
}

// Meaning returns the plain-words meaning of a docver reasonCode, or "" for a code the contract
// does not list (the caller then shows the vendor's own reason text).
func Meaning(code string) string {
	return reasonCodes[strings.TrimSpace(code)]
}

// Codes lists the documented docver reasonCodes in numeric order.
func Codes() []string {
	out := make([]string, 0, len(reasonCodes))
	for c := range reasonCodes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i])
		b, _ := strconv.Atoi(out[j])
		return a < b
	})
	return out
}

// Docver statuses as the OCR answer spells them.
const (
	DocverApproved              = "approved"
	DocverDeclined              = "declined"
	DocverResubmissionRequested = "resubmission_requested"
)

// statusForCode says which docver status a documented reasonCode comes with: the 6xx codes ask for
// a new attempt, the others decline.
func statusForCode(code string) string {
	if strings.HasPrefix(strings.TrimSpace(code), "6") {
		return DocverResubmissionRequested
	}
	return DocverDeclined
}
