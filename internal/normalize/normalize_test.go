package normalize

import "testing"

func TestSearchKey(t *testing.T) {
	cases := map[string]string{
		"Müller":        "muller",
		"JOSÉ  María":   "jose maria",
		"O'Brien-Smith": "o brien smith",
		"Łukasz Żółć":   "lukasz zolc",
		"Straße":        "strasse",
		"  AB 123/45  ": "ab 123 45",
		"Ærøskøbing":    "aeroskobing",
		"":              "",
		"<script>":      "script",
		"İstanbul":      "istanbul",
	}
	for in, want := range cases {
		if got := SearchKey(in); got != want {
			t.Errorf("SearchKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSearchText(t *testing.T) {
	got := SearchText("Anna María", "Eriksson", "REF-001", "L898 902C3")
	want := "anna maria | annamaria | eriksson | ref 001 | ref001 | l898 902c3 | l898902c3"
	if got != want {
		t.Fatalf("got %q", got)
	}
}
