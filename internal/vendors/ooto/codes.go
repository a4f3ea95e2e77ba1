package ooto

import (
	"sort"
	"strconv"
	"strings"
)

// codes are the "Engine & OCR Errors" of the identify page, keyed on the code table. The page's
// own error example pairs code 5 with "can not detect document"; the table says 5 is no face in
// the selfie and 201 no document, and the table is what these follow.
var codes = map[int]string{
	1:   "An image was missing from the request.",
	2:   "An image was not sent as JPEG or PNG.",
	3:   "An image was empty (0 bytes).",
	4:   "An image could not be decoded: it is not a valid JPEG or PNG file.",
	5:   "No face was found in the selfie.",
	6:   "More than one face was found in the photo.",
	8:   "The portrait on the document does not look like a document portrait.",
	9:   "The face could not be analysed (no features could be extracted).",
	201: "No document was found in the image.",
	202: "More than one document was found in the image.",
	203: "The document's text could not be read (OCR failed).",
	208: "The portrait photo on the document could not be found.",
	209: "The photo's resolution is too low.",
}

// infos are the vendor's own texts from the code table, which the fake sends.
var infos = map[int]string{
	1:   "photo should not be empty",
	2:   "wrong mime-type in input data",
	3:   "photo size is 0 bytes",
	4:   "can not decode image, check it is valid jpeg or png file",
	5:   "can not detect face (in selfie)",
	6:   "more than one face detected on photo",
	8:   "portrait from document not similar to template",
	9:   "can not extract features from sample",
	201: "can not detect document",
	202: "more than one document detected",
	203: "can not make OCR for document",
	208: "can not find portrait on document",
	209: "insufficient resolution of the photo",
}

// Meaning returns the plain-words meaning of an OOTO error code ("5" or "5.0"), and false for a
// code the page does not document.
func Meaning(code string) (string, bool) {
	code = strings.TrimSpace(code)
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

// RequestCode reports whether an error code refuses the request rather than the images: 1 to 4
// (an image missing, of the wrong type, empty, or not decodable).
func RequestCode(code string) bool {
	n, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(code), 64)
		if ferr != nil || f != float64(int(f)) {
			return false
		}
		n = int(f)
	}
	return n >= 1 && n <= 4
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

// qualityWords say what a failed face-quality check means, keyed by the check's name with case
// and underscores removed (so left_eye_closed and leftEyeClosed are one key).
var qualityWords = map[string]string{
	"uniformity":     "The light on the face is uneven.",
	"exposure":       "The selfie is too bright or too dark.",
	"contrast":       "The selfie's contrast is poor.",
	"flare":          "There is glare on the face.",
	"blur":           "The selfie is blurry.",
	"macroblocks":    "The selfie is too heavily compressed (blocky).",
	"distortion":     "The face is distorted (lens or angle).",
	"occlusion":      "Part of the face is covered.",
	"emotion":        "The expression is not neutral.",
	"lefteyeclosed":  "The left eye is closed.",
	"righteyeclosed": "The right eye is closed.",
	"crfiqa":         "The face image is of too low a quality to match reliably.",
}

// QualityMeaning returns the plain words for a failed face-quality check named as the vendor
// names it (either spelling).
func QualityMeaning(name string) string {
	if w, ok := qualityWords[normKey(name)]; ok {
		return w
	}
	return "The face quality check \"" + snake(name) + "\" failed."
}
