package cynopsis

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/vendors"
)

// country is how the OCR service writes a country: its sample says "MALAYSIA" for the issuing
// country, "MALAYSIAN" for the nationality and "MY" in the docver block.
type country struct{ alpha2, name, demonym string }

// fakeCountries are the countries the fake writes in words; others are written as their code,
// which the comparison normalises just the same.
var fakeCountries = map[string]country{
	"MYS": {"MY", "MALAYSIA", "MALAYSIAN"},
	"SGP": {"SG", "SINGAPORE", "SINGAPOREAN"},
	"IDN": {"ID", "INDONESIA", "INDONESIAN"},
	"PHL": {"PH", "PHILIPPINES", "FILIPINO"},
	"THA": {"TH", "THAILAND", "THAI"},
	"VNM": {"VN", "VIETNAM", "VIETNAMESE"},
	"CHN": {"CN", "CHINA", "CHINESE"},
	"IND": {"IN", "INDIA", "INDIAN"},
	"GBR": {"GB", "UNITED KINGDOM", "BRITISH"},
	"USA": {"US", "UNITED STATES", "AMERICAN"},
	"AUS": {"AU", "AUSTRALIA", "AUSTRALIAN"},
}

// ocrDocumentTypes maps a Subject's document type to the OCR's document_type and its name.
var ocrDocumentTypes = map[string][2]string{
	"passport":         {"PASSPORT", "INTERNATIONAL PASSPORT"},
	"national_id":      {"ID_CARD", "NATIONAL IDENTITY CARD"},
	"driving_licence":  {"DRIVERS_LICENSE", "DRIVING LICENCE"},
	"residence_permit": {"RESIDENCE_PERMIT", "RESIDENCE PERMIT"},
	"other":            {"OTHER", "OTHER DOCUMENT"},
}

// fakeOCRResult is the "result" object the OCR service would send for sub, misreads applied.
func fakeOCRResult(sub vendors.Subject, now time.Time) map[string]any {
	val := func(name vendors.FieldName, v string) string {
		if m, ok := sub.Misreads[vendors.CynopsisOCR][name]; ok {
			return m
		}
		return v
	}
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	surname := val(vendors.Surname, sub.Surname)
	given := val(vendors.GivenNames, sub.GivenNames)
	dob := val(vendors.DateOfBirth, sub.DateOfBirth)
	sex := val(vendors.Sex, sub.Sex)
	nat := val(vendors.Nationality, countryWord(sub.Nationality, false))
	number := val(vendors.DocumentNumber, sub.DocumentNumber)
	personal := val(vendors.PersonalNumber, sub.PersonalNumber)
	issue := val(vendors.IssueDate, sub.IssueDate)
	expiry := val(vendors.ExpiryDate, sub.ExpiryDate)
	issuing := val(vendors.IssuingCountry, countryWord(sub.IssuingCountry, true))
	address := val(vendors.Address, sub.Address)
	dt, ok := ocrDocumentTypes[sub.DocumentType]
	if !ok {
		dt = ocrDocumentTypes["other"]
	}
	docType := val(vendors.DocumentType, dt[0])
	mrz := append([]string(nil), sub.MRZ...)
	for i, name := range []vendors.FieldName{vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3} {
		if m, ok := sub.Misreads[vendors.CynopsisOCR][name]; ok && i < len(mrz) {
			mrz[i] = m
		}
	}

	full := strings.TrimSpace(given + " " + surname)
	full2 := strings.TrimSpace(surname + " " + given)
	res := map[string]any{
		"last_name": orNull(surname), "first_name": orNull(given), "full_name": orNull(full), "full_name2": orNull(full2),
		"gender": orNull(sex), "date_of_birth": orNull(dob), "birth date": orNull(dob),
		"nationality": orNull(nat), "address": orNull(address), "document_number": orNull(number),
		"personal_id_number": orNull(personal), "issuing_country": orNull(issuing),
		"issue_date": orNull(issue), "expiry_date": orNull(expiry), "expiry date": orNull(expiry),
		"optional_data": nil, "document_type": docType, "document_type_name": dt[1],
		"mrz_raw_string": orNull(strings.Join(mrz, "")), "ignored_fields": []string{},
	}
	if sub.DocumentType == "passport" {
		res["passport_number"] = orNull(number)
		res["passport_expiry_date"] = orNull(expiry)
	}
	for k, v := range mrzFlags(mrz) {
		res[k] = v
	}

	status, reasonCode, code := DocverApproved, any(nil), 9001
	reason := ""
	if e := strings.TrimSpace(sub.Errors[vendors.CynopsisOCR]); Meaning(e) != "" {
		status, reason = statusForCode(e), Meaning(e)
		var n int
		_, _ = fmt.Sscanf(e, "%d", &n)
		reasonCode, code = n, 9102
		if status == DocverResubmissionRequested {
			code = 9103
		}
	}
	res["status"] = "VALID"
	if status != DocverApproved {
		res["status"] = "UNCERTAIN"
	}
	decided := now.UTC()
	alpha2 := sub.IssuingCountry
	if c, ok := fakeCountries[sub.IssuingCountry]; ok {
		alpha2 = c.alpha2
	}
	var addresses []string
	if sub.Address != "" {
		addresses = []string{sub.Address}
	}
	var year any
	if t, err := time.Parse("2006-01-02", sub.DateOfBirth); err == nil {
		year = t.Year()
	}
	state := "VALID"
	if t, err := time.Parse("2006-01-02", sub.ExpiryDate); err == nil && t.Before(now) {
		state = "EXPIRED"
	}
	res["docver_check"] = map[string]any{
		"id": uuid.NewString(), "code": code, "status": status, "reasonCode": reasonCode, "reason": orNull(reason),
		"person": map[string]any{
			"gender": orNull(sub.Sex), "idNumber": orNull(sub.PersonalNumber), "lastName": orNull(sub.Surname),
			"firstName": orNull(sub.GivenNames), "addresses": addresses,
			"citizenship": orNull(countryWord(sub.Nationality, false)), "nationality": orNull(countryWord(sub.Nationality, false)),
			"dateOfBirth": orNull(sub.DateOfBirth), "yearOfBirth": year, "placeOfBirth": nil, "pepSanctionMatch": false,
		},
		"document": map[string]any{
			"type": dt[0], "state": state, "number": orNull(sub.DocumentNumber), "country": orNull(alpha2),
			"validFrom": orNull(sub.IssueDate), "validUntil": orNull(sub.ExpiryDate),
		},
		"comments":               []string{"Verified by automated system."},
		"attemptId":              uuid.NewString(),
		"endUserId":              nil,
		"vendorData":             nil,
		"acceptanceTime":         decided.Add(-9 * time.Second).Format(time.RFC3339Nano),
		"submissionTime":         decided.Add(-8 * time.Second).Format(time.RFC3339Nano),
		"decisionTime":           decided.Format(time.RFC3339Nano),
		"additionalVerifiedData": map[string]any{}, "recommendation": "",
	}
	return res
}

// countryWord writes an ISO alpha-3 code as the OCR service does: a country name or a nationality.
func countryWord(code string, name bool) string {
	c, ok := fakeCountries[code]
	switch {
	case !ok:
		return code
	case name:
		return c.name
	default:
		return c.demonym
	}
}

// mrzValue is the ICAO 9303 value of an MRZ character; ok is false for a character not allowed.
func mrzValue(r byte) (int, bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), true
	case r >= 'A' && r <= 'Z':
		return int(r-'A') + 10, true
	case r == '<':
		return 0, true
	}
	return 0, false
}

// checkDigit is the ICAO 9303 check digit of s (weights 7, 3, 1).
func checkDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		v, _ := mrzValue(s[i])
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10)
}

// checks reports whether the digit at pos checks s; "<" counts as 0 for an empty field.
func checks(s string, digit byte) bool {
	if digit == '<' {
		digit = '0'
	}
	return checkDigit(s) == digit
}

func validChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if _, ok := mrzValue(s[i]); !ok {
			return false
		}
	}
	return true
}

func alphaCode(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] == '<') {
			return false
		}
	}
	return len(s) == 3
}

// mrzFlags computes the OCR service's MRZ check flags ("true"/"false" strings) for the lines of a
// TD3, TD2 or TD1 MRZ; none for a document without a readable MRZ.
func mrzFlags(lines []string) map[string]string {
	b := func(ok bool) string {
		if ok {
			return "true"
		}
		return "false"
	}
	var docNum, docCheck, birth, birthCheck, expiry, expiryCheck, optional, optCheck, composite string
	var final byte
	var sex, nat, issuer, code string
	switch {
	case len(lines) == 2 && len(lines[0]) == 44 && len(lines[1]) == 44, len(lines) == 2 && len(lines[0]) == 36 && len(lines[1]) == 36:
		l1, l2 := lines[0], lines[1]
		n := len(l2)
		code, issuer = l1[0:1], l1[2:5]
		docNum, docCheck = l2[0:9], l2[9:10]
		nat = l2[10:13]
		birth, birthCheck = l2[13:19], l2[19:20]
		sex = l2[20:21]
		expiry, expiryCheck = l2[21:27], l2[27:28]
		if n == 44 {
			optional, optCheck = l2[28:42], l2[42:43]
			composite = l2[0:10] + l2[13:20] + l2[21:43]
		} else {
			optional = l2[28:35]
			composite = l2[0:10] + l2[13:20] + l2[21:35]
		}
		final = l2[n-1]
	case len(lines) == 3 && len(lines[0]) == 30 && len(lines[1]) == 30 && len(lines[2]) == 30:
		l1, l2 := lines[0], lines[1]
		code, issuer = l1[0:1], l1[2:5]
		docNum, docCheck = l1[5:14], l1[14:15]
		optional = l1[15:30]
		birth, birthCheck = l2[0:6], l2[6:7]
		sex = l2[7:8]
		expiry, expiryCheck = l2[8:14], l2[14:15]
		nat = l2[15:18]
		composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
		final = l2[29]
	default:
		return nil
	}
	optHash := true
	if optCheck != "" {
		optHash = checks(optional, optCheck[0])
	}
	return map[string]string{
		"valid genre format":     b(sex == "M" || sex == "F" || sex == "<" || sex == "X"),
		"final hash":             b(checks(composite, final)),
		"expiry date hash":       b(checks(expiry, expiryCheck[0])),
		"optional data hash":     b(optHash),
		"document type format":   b(strings.Contains("PIACV", code) && code != "<"),
		"valid country code":     b(alphaCode(issuer)),
		"valid nationality code": b(alphaCode(nat)),
		"document number hash":   b(checks(docNum, docCheck[0])),
		"birth date hash":        b(checks(birth, birthCheck[0])),
		"document number format": b(validChars(docNum) && docNum[0] != '<'),
		"optional data format":   b(validChars(optional)),
	}
}

// genericSubject is a plausible passport reading for an image the Identifier does not know,
// varied by the image's bytes so different images read differently, with a valid MRZ.
func genericSubject(img []byte) vendors.Subject {
	h := fnv.New32a()
	_, _ = h.Write(img)
	n := h.Sum32()
	people := []struct{ surname, given, sex string }{
		{"LEE", "MICHAEL", "M"}, {"TAN", "MEI LING", "F"}, {"RAHMAN", "AHMAD FAIZ", "M"},
		{"WONG", "SIEW KIM", "F"}, {"KUMAR", "ARJUN", "M"}, {"LIM", "HUI MIN", "F"},
	}
	p := people[n%uint32(len(people))]
	dob := time.Date(1960+int(n%40), time.Month(1+n/7%12), 1+int(n/11%28), 0, 0, 0, 0, time.UTC)
	issue := time.Date(2021+int(n/13%4), time.Month(1+n/17%12), 1+int(n/19%28), 0, 0, 0, 0, time.UTC)
	expiry := issue.AddDate(10, 0, -1)
	number := fmt.Sprintf("A%08d", n%100000000)
	sub := vendors.Subject{
		Surname: p.surname, GivenNames: p.given, DateOfBirth: dob.Format("2006-01-02"), Sex: p.sex,
		Nationality: "MYS", DocumentNumber: number, IssueDate: issue.Format("2006-01-02"),
		ExpiryDate: expiry.Format("2006-01-02"), IssuingCountry: "MYS", DocumentType: "passport",
		SameFace: true, Liveness: 0.97,
	}
	sub.MRZ = td3(sub)
	return sub
}

// td3 writes a passport MRZ (two lines of 44) for sub with correct check digits.
func td3(sub vendors.Subject) []string {
	pad := func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s + strings.Repeat("<", n-len(s))
	}
	name := strings.ReplaceAll(sub.Surname, " ", "<") + "<<" + strings.ReplaceAll(sub.GivenNames, " ", "<")
	l1 := pad("P<"+sub.IssuingCountry+name, 44)
	yymmdd := func(d string) string {
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return "<<<<<<"
		}
		return t.Format("060102")
	}
	num := pad(sub.DocumentNumber, 9)
	birth, expiry := yymmdd(sub.DateOfBirth), yymmdd(sub.ExpiryDate)
	personal := pad(sub.PersonalNumber, 14)
	sex := sub.Sex
	if sex == "" || sex == "X" {
		sex = "<"
	}
	l2 := num + string(checkDigit(num)) + pad(sub.Nationality, 3) + birth + string(checkDigit(birth)) + sex +
		expiry + string(checkDigit(expiry)) + personal + string(checkDigit(personal))
	l2 += string(checkDigit(l2[0:10] + l2[13:20] + l2[21:43]))
	return []string{l1, l2}
}
