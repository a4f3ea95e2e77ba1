package apptenticate

import (
	"sort"
	"strconv"
)

// codes are the document proof-of-life refusals of ID Reader Plus v3 (the page's "Códigos de
// error" table), in words a reviewer can act on. The vendor's own English text is kept in the
// recorded body; these say what went wrong with the picture.
var codes = map[int]string{
	818: "The image quality is not good enough to check that the document is real.",
	819: "No document was found in the image.",
	820: "The document's portrait photo was not found in the image.",
	821: "The document is cropped: part of it is missing from the image.",
	822: "The document is too small in the image (less than 10% of the picture).",
	823: "The document's borders are outside the picture.",
	824: "There is more than one document in the picture.",
	825: "The document is too close to the edges of the picture.",
	826: "The document is too blurry.",
	827: "The image is too heavily compressed.",
	828: "The image is too bright or too dark.",
	829: "The document has reflections (glare) on it.",
}

// Meaning returns the plain-words meaning of an ID Reader error code ("826" or "826.0"), and
// false for a code the vendor does not document.
func Meaning(code string) (string, bool) {
	n, err := strconv.Atoi(code)
	if err != nil {
		f, ferr := strconv.ParseFloat(code, 64)
		if ferr != nil || f != float64(int(f)) {
			return "", false
		}
		n = int(f)
	}
	m, ok := codes[n]
	return m, ok
}

// Codes lists the documented error codes in ascending order.
func Codes() []int {
	out := make([]int, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// vendorTexts are the vendor's own messages for each code, verbatim from the page (odd spelling
// included), which the fake sends in "error".
var vendorTexts = map[int]string{
	818: "Image quality for document liveness not acceptable.",
	819: "The document is not detected in the image.",
	820: "The document photo is not detected in the image.",
	821: "The document is cropped, part of the document is not present in the image.",
	822: "The size of the document is lower than 10 % of the size of the image.",
	823: "The document borders are outside of the photo frame.",
	824: "There is more than one document in the photo frame.",
	825: "The document is near of the edges of the photo frame.",
	826: "The document is too blurry.",
	827: "The document is overly compressed..",
	828: "The document is either too bright or too dark.",
	829: "The document has reflections",
}
