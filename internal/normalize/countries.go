package normalize

import (
	"strings"
)

// Country is a state or organisation a document can name: an ISO 3166-1 country, or one of the
// codes ICAO 9303 adds for travel documents (Utopia, the British nationality variants, the EU, the
// UN, stateless persons, refugees …), which have no alpha-2 code.
type Country struct {
	Alpha2 string // ISO 3166-1 alpha-2, "" for an ICAO-only code
	Alpha3 string // ISO 3166-1 alpha-3, or the ICAO 9303 code
	Name   string // English name
}

// icaoCodes are the three-letter codes ICAO 9303 part 3 (section 5) uses besides ISO 3166-1
// alpha-3. Left out on purpose: ANT and NTZ (withdrawn from ISO 3166 in 2010 and 1993; no
// document naming them is still valid) and IAO (ICAO itself, which only signs master lists).
var icaoCodes = []Country{
	{"", "UTO", "Utopia (ICAO specimen state)"},
	{"", "GBD", "British Overseas Territories Citizen"},
	{"", "GBN", "British National (Overseas)"},
	{"", "GBO", "British Overseas Citizen"},
	{"", "GBP", "British Protected Person"},
	{"", "GBS", "British Subject"},
	{"", "EUE", "European Union"},
	{"", "UNO", "United Nations Organization"},
	{"", "UNA", "United Nations specialized agency"},
	{"", "UNK", "Resident of Kosovo (UNMIK)"},
	{"", "RKS", "Kosovo"},
	{"", "XBA", "African Development Bank"},
	{"", "XIM", "African Export-Import Bank"},
	{"", "XCC", "Caribbean Community"},
	{"", "XCE", "Council of Europe"},
	{"", "XCO", "Common Market for Eastern and Southern Africa"},
	{"", "XEC", "Economic Community of West African States"},
	{"", "XES", "Organisation of Eastern Caribbean States"},
	{"", "XMP", "Parliamentary Assembly of the Mediterranean"},
	{"", "XOM", "Sovereign Military Order of Malta"},
	{"", "XPO", "Interpol"},
	{"", "XDC", "Southern African Development Community"},
	{"", "XXA", "Stateless person"},
	{"", "XXB", "Refugee (1951 Convention)"},
	{"", "XXC", "Refugee (other)"},
	{"", "XXX", "Unspecified nationality"},
}

// codeAliases are codes found on documents that stand for another code: Germany's one-letter MRZ
// code, the alpha-2 codes reserved for the United Kingdom and Kosovo.
var codeAliases = map[string]string{
	"D": "DEU", "UK": "GBR", "XK": "RKS", "EU": "EUE", "UN": "UNO",
}

// nameAliases are common names of countries besides the ISO short name, in English and in the
// languages documents print them in. Keys are search keys (see SearchKey); values alpha-3.
var nameAliases = map[string]string{
	"united kingdom": "GBR", "great britain": "GBR", "britain": "GBR", "england": "GBR", "scotland": "GBR",
	"wales": "GBR", "northern ireland": "GBR", "united states": "USA",
	"us": "USA", "u s a": "USA", "u s": "USA", "america": "USA", "russia": "RUS", "south korea": "KOR",
	"korea": "KOR", "republic of korea": "KOR", "korea south": "KOR", "north korea": "PRK", "korea north": "PRK",
	"dprk": "PRK", "iran": "IRN", "syria": "SYR", "vietnam": "VNM", "laos": "LAO", "lao pdr": "LAO",
	"bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA", "moldova": "MDA", "micronesia": "FSM",
	"taiwan": "TWN", "republic of china": "TWN", "palestine": "PSE", "czech republic": "CZE",
	"turkey": "TUR", "turkiye": "TUR", "ivory coast": "CIV", "cote d ivoire": "CIV", "cape verde": "CPV",
	"swaziland": "SWZ", "macedonia": "MKD", "burma": "MMR", "east timor": "TLS", "holland": "NLD",
	"the netherlands": "NLD", "vatican": "VAT", "vatican city": "VAT", "holy see vatican city state": "VAT",
	"brunei": "BRN", "democratic republic of the congo": "COD", "dr congo": "COD", "drc": "COD",
	"congo kinshasa": "COD", "republic of the congo": "COG", "congo brazzaville": "COG", "macau": "MAC",
	"hong kong sar": "HKG", "hong kong sar china": "HKG", "macao sar china": "MAC", "uae": "ARE",
	"emirates": "ARE", "the bahamas": "BHS", "the gambia": "GMB", "st kitts and nevis": "KNA",
	"st lucia": "LCA", "st vincent and the grenadines": "VCT", "sao tome": "STP", "falkland islands": "FLK",
	"british virgin islands": "VGB", "us virgin islands": "VIR", "reunion": "REU", "curacao": "CUW",
	"aland": "ALA", "kosovo": "RKS", "people s republic of china": "CHN", "prc": "CHN",
	"slovak republic": "SVK", "kyrgyz republic": "KGZ",
	// Names as documents print them in their own language.
	"deutschland": "DEU", "bundesrepublik deutschland": "DEU", "espana": "ESP", "reino de espana": "ESP",
	"republique francaise": "FRA", "italia": "ITA", "repubblica italiana": "ITA", "nederland": "NLD",
	"koninkrijk der nederlanden": "NLD", "osterreich": "AUT", "schweiz": "CHE", "suisse": "CHE",
	"svizzera": "CHE", "sverige": "SWE", "norge": "NOR", "danmark": "DNK", "suomi": "FIN", "polska": "POL",
	"rzeczpospolita polska": "POL", "cesko": "CZE", "ceska republika": "CZE", "slovensko": "SVK",
	"magyarorszag": "HUN", "hellas": "GRC", "ellada": "GRC", "eire": "IRL",
	"brasil": "BRA", "nippon": "JPN", "belgique": "BEL", "belgie": "BEL",
	"portuguesa": "PRT", "republica portuguesa": "PRT", "hrvatska": "HRV", "slovenija": "SVN",
	"srbija": "SRB", "lietuva": "LTU", "latvija": "LVA", "eesti": "EST",
	"singapura": "SGP", "utopia": "UTO",
}

// demonyms are the nationality words documents and vendors print instead of a code ("MALAYSIAN",
// "BRITISH CITIZEN", "DEUTSCH"): the most common nationalities in English, the gendered forms of
// the languages the specimens print, and Utopian. Keys are search keys; values alpha-3.
var demonyms = map[string]string{
	"afghan": "AFG", "albanian": "ALB", "algerian": "DZA", "american": "USA", "andorran": "AND",
	"angolan": "AGO", "argentine": "ARG", "argentinian": "ARG", "armenian": "ARM", "australian": "AUS",
	"austrian": "AUT", "azerbaijani": "AZE", "bahraini": "BHR", "bangladeshi": "BGD", "belarusian": "BLR",
	"belgian": "BEL", "bolivian": "BOL", "bosnian": "BIH", "brazilian": "BRA", "british": "GBR",
	"bruneian": "BRN", "bulgarian": "BGR", "burmese": "MMR", "cambodian": "KHM", "cameroonian": "CMR",
	"canadian": "CAN", "chilean": "CHL", "chinese": "CHN", "colombian": "COL", "croatian": "HRV",
	"cuban": "CUB", "cypriot": "CYP", "czech": "CZE", "danish": "DNK", "dominican": "DOM", "dutch": "NLD",
	"ecuadorian": "ECU", "egyptian": "EGY", "emirati": "ARE", "estonian": "EST", "ethiopian": "ETH",
	"filipino": "PHL", "filipina": "PHL", "finnish": "FIN", "french": "FRA", "georgian": "GEO",
	"german": "DEU", "ghanaian": "GHA", "greek": "GRC", "guatemalan": "GTM", "honduran": "HND",
	"hong konger": "HKG", "hungarian": "HUN", "icelandic": "ISL", "indian": "IND", "indonesian": "IDN",
	"iranian": "IRN", "iraqi": "IRQ", "irish": "IRL", "israeli": "ISR", "italian": "ITA", "ivorian": "CIV",
	"jamaican": "JAM", "japanese": "JPN", "jordanian": "JOR", "kazakh": "KAZ", "kazakhstani": "KAZ",
	"kenyan": "KEN", "korean": "KOR", "south korean": "KOR", "north korean": "PRK", "kuwaiti": "KWT",
	"kyrgyz": "KGZ", "lao": "LAO", "laotian": "LAO", "latvian": "LVA", "lebanese": "LBN", "libyan": "LBY",
	"lithuanian": "LTU", "luxembourgish": "LUX", "macanese": "MAC", "malagasy": "MDG", "malawian": "MWI",
	"malaysian": "MYS", "maldivian": "MDV", "malian": "MLI", "maltese": "MLT", "mauritian": "MUS",
	"mexican": "MEX", "moldovan": "MDA", "mongolian": "MNG", "montenegrin": "MNE", "moroccan": "MAR",
	"mozambican": "MOZ", "namibian": "NAM", "nepalese": "NPL", "nepali": "NPL", "new zealander": "NZL",
	"nicaraguan": "NIC", "nigerian": "NGA", "nigerien": "NER", "norwegian": "NOR", "omani": "OMN",
	"pakistani": "PAK", "palestinian": "PSE", "panamanian": "PAN", "paraguayan": "PRY", "peruvian": "PER",
	"polish": "POL", "portuguese": "PRT", "qatari": "QAT", "romanian": "ROU", "russian": "RUS",
	"rwandan": "RWA", "saudi": "SAU", "saudi arabian": "SAU", "senegalese": "SEN", "serbian": "SRB",
	"singaporean": "SGP", "slovak": "SVK", "slovenian": "SVN", "somali": "SOM", "south african": "ZAF",
	"spanish": "ESP", "sri lankan": "LKA", "sudanese": "SDN", "swedish": "SWE", "swiss": "CHE",
	"syrian": "SYR", "taiwanese": "TWN", "tajik": "TJK", "tanzanian": "TZA", "thai": "THA",
	"tunisian": "TUN", "turkish": "TUR", "turkmen": "TKM", "ugandan": "UGA", "ukrainian": "UKR",
	"uruguayan": "URY", "uzbek": "UZB", "venezuelan": "VEN", "vietnamese": "VNM", "yemeni": "YEM",
	"zambian": "ZMB", "zimbabwean": "ZWE", "utopian": "UTO",
	// Forms printed on documents in other languages.
	"deutsch": "DEU", "deutsche": "DEU", "deutscher": "DEU", "francais": "FRA", "francaise": "FRA",
	"espanol": "ESP", "espanola": "ESP", "italiano": "ITA", "italiana": "ITA", "portugues": "PRT",
	"portuguesa": "PRT", "brasileiro": "BRA", "brasileira": "BRA", "mexicano": "MEX", "mexicana": "MEX",
	"nederlandse": "NLD", "nederlander": "NLD", "osterreichisch": "AUT", "svensk": "SWE", "norsk": "NOR",
	"dansk": "DNK", "suomalainen": "FIN", "polskie": "POL", "warganegara malaysia": "MYS",
	// The British nationality variants ICAO codes separately.
	"british overseas territories citizen": "GBD", "british dependent territories citizen": "GBD",
	"british national overseas": "GBN", "british overseas citizen": "GBO", "british protected person": "GBP",
	"british subject": "GBS", "stateless": "XXA", "stateless person": "XXA", "refugee": "XXB",
}

// nationalitySuffixes are words that follow a demonym without changing it ("BRITISH CITIZEN").
var nationalitySuffixes = []string{"citizen", "national", "nationality", "citizenship"}

var countryIndex = buildCountryIndex()

func buildCountryIndex() map[string]Country {
	byCode := map[string]Country{}
	idx := map[string]Country{}
	for _, c := range iso3166 {
		byCode[c.Alpha3] = c
		idx[c.Alpha2] = c
		idx[c.Alpha3] = c
	}
	for _, c := range icaoCodes {
		byCode[c.Alpha3] = c
		idx[c.Alpha3] = c
	}
	for code, to := range codeAliases {
		idx[code] = byCode[to]
	}
	// Names go in by search key, in lower case, so they never collide with the upper-case codes.
	short := map[string][]Country{}
	for _, c := range append(append([]Country{}, iso3166...), icaoCodes...) {
		idx[SearchKey(c.Name)] = c
		// "Bolivia (Plurinational State of)" is also "Bolivia"; "Korea, Republic of" would be
		// "Korea" too, but so would North Korea: a short form is kept only when it is unique.
		if s := shortName(c.Name); s != "" && s != SearchKey(c.Name) {
			short[s] = append(short[s], c)
		}
	}
	for s, cs := range short {
		if len(cs) == 1 {
			if _, taken := idx[s]; !taken {
				idx[s] = cs[0]
			}
		}
	}
	for k, code := range nameAliases {
		if c, ok := byCode[code]; ok {
			idx[k] = c
		}
	}
	for k, code := range demonyms {
		idx[k] = byCode[code]
	}
	return idx
}

// shortName drops a parenthesised or comma-separated qualifier from a country name.
func shortName(name string) string {
	if i := strings.IndexAny(name, "(,"); i > 0 {
		return SearchKey(name[:i])
	}
	return ""
}

// LookupCountry finds the country s names: an ISO 3166-1 alpha-2 or alpha-3 code, an ICAO 9303
// code (UTO, D, GBD …), an English or native name ("Malaysia", "Deutschland", "Korea, Republic
// of"), or a nationality ("MALAYSIAN", "British citizen", "Française"). Case, accents, spacing
// and punctuation are ignored.
func LookupCountry(s string) (Country, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Country{}, false
	}
	// Codes are matched in upper case only, so the word "in" is not India.
	code := strings.ToUpper(strings.Trim(s, "<. "))
	if len(code) <= 3 && isLetters(code) && s == strings.ToUpper(s) {
		if c, ok := countryIndex[code]; ok {
			return c, true
		}
	}
	key := SearchKey(s)
	if key == "" {
		return Country{}, false
	}
	if c, ok := countryIndex[key]; ok {
		return c, true
	}
	for _, suf := range nationalitySuffixes {
		if base, ok := strings.CutSuffix(key, " "+suf); ok {
			if c, ok := countryIndex[base]; ok {
				return c, true
			}
		}
	}
	if base, ok := strings.CutPrefix(key, "the "); ok {
		if c, ok := countryIndex[base]; ok {
			return c, true
		}
	}
	// A lower-case alpha-3 code ("mys") as a last resort; two letters in lower case are more
	// likely a word ("in", "de") than a code.
	if len(code) == 3 && isLetters(code) {
		if c, ok := countryIndex[code]; ok {
			return c, true
		}
	}
	return Country{}, false
}

// Countries returns the ISO 3166-1 table: every country with its codes and English name.
func Countries() []Country {
	return append([]Country(nil), iso3166...)
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}
