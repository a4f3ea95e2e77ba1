package testenv

import (
	"bytes"
	"io"
	"testing"

	"github.com/ledongthuc/pdf"
)

// PDFText extracts a PDF's text with a PDF reader, as a person copying it would get it.
func PDFText(t testing.TB, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the PDF does not open: %v", err)
	}
	rd, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("the PDF's text: %v", err)
	}
	text, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}
