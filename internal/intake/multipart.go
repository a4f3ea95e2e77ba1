package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"slices"

	"kycdesk/internal/apperr"
	"kycdesk/internal/customers"
)

// maxParts bounds the parts of a document's multipart body: five fields and a few images make a
// document, and every part refused would otherwise be one more message in the answer.
const maxParts = 50

// documentFields are the text parts of a document's multipart body.
var documentFields = map[string]bool{"type": true, "issuing_country": true, "number": true, "issue_date": true, "expiry_date": true}

// readDocument reads a POST /customers/{id}/documents body as the OpenAPI description has it,
// and no more loosely, as the JSON endpoint refuses an unknown member: each field and the files
// front and back at most once, any number of selfies (an array there), and no other part. A part
// that breaks this is refused on its name (422), before anything is stored. A body that is not
// multipart at all is refused saying what is wrong with it, for the client's developer: the
// browser form's "choose the files again" means nothing to a program.
func readDocument(contentType string, body []byte, maxFile int64) (customers.DocumentInput, []customers.File, error) {
	var d customers.DocumentInput
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return d, nil, notMultipart("the Content-Type header cannot be parsed")
	}
	if params["boundary"] == "" {
		return d, nil, notMultipart("the Content-Type header names no boundary")
	}
	if len(body) == 0 {
		return d, nil, notMultipart("the body is empty")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	values := map[string]string{}
	var files []customers.File
	count := map[string]int{}
	errs := map[string]string{}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return d, nil, partError(n, err)
		}
		if n == maxParts {
			return d, nil, &apperr.Error{Code: apperr.TooLarge,
				Message: fmt.Sprintf("The body is too large: it has more than %d parts, and a document is five fields and a few images.", maxParts)}
		}
		name, file := p.FormName(), p.FileName()
		if name == "" {
			return d, nil, notMultipart("part %d has no name (Content-Disposition: form-data; name=\"…\")", n+1)
		}
		count[name]++
		switch {
		case documentFields[name]:
			v, err := io.ReadAll(p)
			if err != nil {
				return d, nil, partError(n, err)
			}
			switch {
			case file != "":
				errs[name] = fmt.Sprintf("Send %s as a form field, not as a file.", name)
			case count[name] > 1:
				errs[name] = fmt.Sprintf("Send %s once: this body has it %d times.", name, count[name])
			case textProblem(string(v)) != "":
				errs[name] = textProblem(string(v))
			default:
				values[name] = string(v)
			}
		case name == "front" || name == "back" || name == "selfie":
			data, err := io.ReadAll(io.LimitReader(p, maxFile+1))
			if err == nil {
				_, err = io.Copy(io.Discard, p)
			}
			if err != nil {
				return d, nil, partError(n, err)
			}
			switch {
			case count[name] > 1 && name != "selfie":
				errs[name] = fmt.Sprintf("Send one %s image: this body has %d. Only selfies may be several.", name, count[name])
			case errs[name] != "":
			case file == "":
				errs[name] = fmt.Sprintf("Send %s as a file (a part with a filename), not as a form field.", name)
			case int64(len(data)) > maxFile:
				// Refused with the others: the service checks every file and names each bad one.
				files = append(files, customers.File{Kind: name, Name: file, Refused: fmt.Sprintf("the file is larger than %d MB", maxFile>>20)})
			default:
				files = append(files, customers.File{Kind: name, Name: file, Data: data})
			}
		default:
			if _, err := io.Copy(io.Discard, p); err != nil {
				return d, nil, partError(n, err)
			}
			errs[fieldName(name)] = "Unknown field. A document has the fields type, issuing_country, number, issue_date and expiry_date, and the files front, back and selfie."
		}
	}
	if err := apperr.Fields(errs); err != nil {
		return d, nil, err
	}
	d = customers.DocumentInput{Type: values["type"], IssuingCountry: values["issuing_country"], Number: values["number"],
		IssueDate: values["issue_date"], ExpiryDate: values["expiry_date"]}
	// Front, back, then the selfies as sent, whatever the order of the parts: the answer lists
	// the images so (as the browser form's do), and the stored order does not depend on a client's
	// form library.
	slices.SortStableFunc(files, func(a, b customers.File) int { return kindOrder[a.Kind] - kindOrder[b.Kind] })
	return d, files, nil
}

var kindOrder = map[string]int{"front": 0, "back": 1, "selfie": 2}

// notMultipart refuses a body that cannot be read as multipart/form-data, saying why.
func notMultipart(format string, args ...any) error {
	return apperr.New(apperr.Invalid, "The body is not valid multipart/form-data: %s.", fmt.Sprintf(format, args...))
}

// partError says in words what went wrong reading the part after the n first ones.
func partError(n int, err error) error {
	switch {
	case errors.Is(err, io.EOF) && n == 0:
		return notMultipart("no part starts with the boundary its Content-Type names")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return notMultipart("it ends before its closing boundary (--boundary--)")
	}
	return notMultipart("part %d cannot be read (its headers or its end)", n+1)
}
