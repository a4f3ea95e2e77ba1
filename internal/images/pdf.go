package images

import (
	"bytes"
	"compress/zlib"
	"io"
	"strconv"
)

// activePDFNames are the PDF names that make a document act rather than show: scripts, launched
// programs, embedded files, forms that send data, rich media. A scan of an identity document has
// none of them, and kycdesk refuses a PDF that does, even though it is served in a sandbox.
var activePDFNames = map[string]bool{
	"JavaScript": true, "JS": true, "Launch": true, "EmbeddedFile": true, "EmbeddedFiles": true,
	"RichMedia": true, "XFA": true, "SubmitForm": true, "ImportData": true, "GoToE": true, "GoToR": true,
}

// maxInflatedPDF bounds the bytes inflated from a PDF's compressed streams while looking for
// active content: a stream that inflates beyond it is a bomb or not a scan.
const maxInflatedPDF = 64 << 20

// activePDF returns the first active name in data (an empty string when there is none), looking
// in the file as it is and inside its Flate-compressed streams (object streams can hide a
// dictionary there). Names are compared after their #xx escapes are decoded, so /J#61vaScript is
// /JavaScript. tooBig reports streams that inflate beyond maxInflatedPDF.
func activePDF(data []byte) (name string, tooBig bool) {
	if n := activeName(data); n != "" {
		return n, false
	}
	budget := int64(maxInflatedPDF)
	rest := data
	for {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			return "", false
		}
		rest = rest[i+len("stream"):]
		if bytes.HasPrefix(rest, []byte("\r\n")) {
			rest = rest[2:]
		} else if bytes.HasPrefix(rest, []byte("\n")) {
			rest = rest[1:]
		} else {
			continue // "endstream", or the word inside some text
		}
		end := bytes.Index(rest, []byte("endstream"))
		if end < 0 {
			end = len(rest)
		}
		zr, err := zlib.NewReader(bytes.NewReader(rest[:end]))
		if err != nil {
			continue // not a Flate stream (an image, say)
		}
		inflated, _ := io.ReadAll(io.LimitReader(zr, budget+1))
		budget -= int64(len(inflated))
		if budget < 0 {
			return "", true
		}
		if n := activeName(inflated); n != "" {
			return n, false
		}
		rest = rest[end:]
	}
}

// activeName finds an active name among the PDF names (/Name tokens) in b.
func activeName(b []byte) string {
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		j := i + 1
		for j < len(b) && regularPDFChar(b[j]) {
			j++
		}
		if j-i-1 > 0 && j-i-1 <= 64 {
			if n := decodePDFName(b[i+1 : j]); activePDFNames[n] {
				return n
			}
		}
		i = j - 1
	}
	return ""
}

// regularPDFChar reports whether c may appear in a PDF name (not white space or a delimiter).
func regularPDFChar(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return c > ' ' && c < 0x7f
}

// decodePDFName turns #xx escapes into their bytes.
func decodePDFName(raw []byte) string {
	if bytes.IndexByte(raw, '#') < 0 {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			if v, err := strconv.ParseUint(string(raw[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return string(out)
}
