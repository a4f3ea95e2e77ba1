package intake

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"kycdesk/internal/normalize"
)

//go:embed openapi.json
var openAPIFile []byte

// openAPI is the file as served: the country code schemas get their list of codes from
// normalize, the one list the API, the forms and the queue read codes by, so the description
// cannot drift from the rule.
var openAPI = withCodes(openAPIFile, map[string][]normalize.Country{
	"nationality": normalize.CountryCodes(), "residence": normalize.ResidenceCodes()})

// withCodes replaces each `"x-kycdesk-codes": "<name>"` member of file by the enum of codes of
// that name and their names (x-enum-descriptions, as code generators read them). The empty string
// comes first: it is how a client leaves the field out.
func withCodes(file []byte, lists map[string][]normalize.Country) []byte {
	for name, list := range lists {
		codes, names := []string{""}, []string{"not given"}
		for _, c := range list {
			codes = append(codes, c.Alpha3)
			names = append(names, c.Name)
		}
		enum, _ := json.Marshal(codes)
		desc, _ := json.Marshal(names)
		marker := []byte(fmt.Sprintf(`"x-kycdesk-codes": %q`, name))
		if bytes.Count(file, marker) != 1 {
			panic("intake: openapi.json has no single " + string(marker))
		}
		file = bytes.Replace(file, marker, []byte(`"enum": `+string(enum)+`, "x-enum-descriptions": `+string(desc)), 1)
	}
	return file
}

// OpenAPI serves the API's description.
func OpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPI)
	return err
}
