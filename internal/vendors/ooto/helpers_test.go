package ooto

import (
	"bytes"
	"mime/multipart"
	"net/textproto"
)

type mp struct{ w *multipart.Writer }

func newMultipart(buf *bytes.Buffer) mp { return mp{multipart.NewWriter(buf)} }

// file writes a file part, or a text part when filename is empty.
func (m mp) file(name, filename, ct string, data []byte) {
	if filename == "" {
		_ = m.w.WriteField(name, string(data))
		return
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+name+`"; filename="`+filename+`"`)
	h.Set("Content-Type", ct)
	p, _ := m.w.CreatePart(h)
	_, _ = p.Write(data)
}

func (m mp) close() string {
	_ = m.w.Close()
	return m.w.FormDataContentType()
}
