package reports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"unicode/utf8"
)

// Neutralise makes a cell safe to open in a spreadsheet: a value that starts with a character a
// spreadsheet reads as the start of a formula (=, +, -, @, a tab or a carriage return, and their
// full-width forms) gets a leading apostrophe, so "=HYPERLINK(…)" in a customer's name is shown
// as text and never run. Every cell of every CSV and XLSX kycdesk writes passes through it.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	if s[0] >= utf8.RuneSelf {
		switch r, _ := utf8.DecodeRuneInString(s); r {
		case '＝', '＋', '－', '＠':
			return "'" + s
		}
	}
	return s
}

// utf8BOM starts every CSV kycdesk writes (case lists, dashboard charts, the audit log): without
// it, spreadsheet programs read the file in the system's legacy code page, and "Müller" comes out
// as "MÃ¼ller".
const utf8BOM = "\uFEFF"

// writeBOM writes the byte-order mark a CSV starts with.
func writeBOM(w io.Writer) error {
	_, err := io.WriteString(w, utf8BOM)
	return err
}

// csvWriter writes CSV records with every cell neutralised.
type csvWriter struct {
	w   *csv.Writer
	buf []string
}

func newCSVWriter(w io.Writer) *csvWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180, and what spreadsheet programs expect
	return &csvWriter{w: cw}
}

// Write writes one record.
func (c *csvWriter) Write(rec []string) error {
	c.buf = c.buf[:0]
	for _, s := range rec {
		c.buf = append(c.buf, Neutralise(s))
	}
	return c.w.Write(c.buf)
}

// Flush writes what is buffered and returns the first error met.
func (c *csvWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// needsApostrophe reports whether a cell must be neutralised (see Neutralise).
func needsApostrophe(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch b[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	if b[0] >= utf8.RuneSelf {
		switch r, _ := utf8.DecodeRune(b); r {
		case '＝', '＋', '－', '＠':
			return true
		}
	}
	return false
}

// special marks the bytes that make a CSV field need quotes.
var special = [256]bool{',': true, '"': true, '\r': true, '\n': true}

func hasSpecial(b []byte) bool {
	for _, c := range b {
		if special[c] {
			return true
		}
	}
	return false
}

// rowWriter writes CSV records from byte cells without making a string of each: the case-list
// export's hot path. It quotes exactly as encoding/csv does (RFC 4180, CRLF line ends) and
// neutralises every cell.
type rowWriter struct {
	w *bufio.Writer
}

func newRowWriter(w io.Writer) *rowWriter { return &rowWriter{w: bufio.NewWriterSize(w, 64<<10)} }

// cell writes one cell; first says whether it opens a record.
func (rw *rowWriter) cell(b []byte, first bool) {
	w := rw.w
	if !first {
		_ = w.WriteByte(',')
	}
	apos := needsApostrophe(b)
	quote := len(b) > 0 && (b[0] == ' ' || hasSpecial(b) || (len(b) == 2 && b[0] == '\\' && b[1] == '.'))
	if !quote {
		if apos {
			_ = w.WriteByte('\'')
		}
		_, _ = w.Write(b)
		return
	}
	_ = w.WriteByte('"')
	if apos {
		_ = w.WriteByte('\'')
	}
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\"\r\n")
		if i < 0 {
			_, _ = w.Write(b)
			break
		}
		_, _ = w.Write(b[:i])
		switch b[i] {
		case '"':
			_, _ = w.WriteString(`""`)
		case '\n':
			_, _ = w.WriteString("\r\n")
		case '\r': // as encoding/csv with UseCRLF: a line end is "\n" written as "\r\n"; a "\r" is dropped
		}
		b = b[i+1:]
	}
	_ = w.WriteByte('"')
}

// end closes a record.
func (rw *rowWriter) end() { _, _ = rw.w.WriteString("\r\n") }

// Flush writes what is buffered.
func (rw *rowWriter) Flush() error { return rw.w.Flush() }
