package decisions_test

import (
	"bytes"
	"mime/multipart"
	"testing"

	"kycdesk/internal/specimen"
)

func specimenFront(t *testing.T) []byte {
	t.Helper()
	return specimen.Generate(77, specimen.Options{}).Front
}

func multipart1(t *testing.T, fields map[string]string, name string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile(name, name+".jpg")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
