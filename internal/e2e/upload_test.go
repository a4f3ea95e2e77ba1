package e2e

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// TestRefusedUploadAsksForTheFilesAgain: a document upload refused for one file (a front too
// small) comes back through htmx with every file input empty; the selfie's slot, whose file was
// fine, says that selfie.jpg was not stored and must be chosen again, until it is.
func TestRefusedUploadAsksForTheFilesAgain(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")),
		cdp.Click(cdp.CSS("#add-document > summary")), cdp.WaitVisible(cdp.CSS("#document-form")))

	card := specimen.Generate(54, specimen.Options{DocumentType: specimen.NationalID})
	var small bytes.Buffer
	if err := png.Encode(&small, image.NewGray(image.Rect(0, 0, 10, 10))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	front, selfie := filepath.Join(dir, "front.png"), filepath.Join(dir, "selfie.jpg")
	for name, data := range map[string][]byte{front: small.Bytes(), selfie: card.Selfie} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	do(t, b,
		cdp.Evaluate[cdp.Void](`(() => { const s = document.querySelector("#doc-type"); s.value = "national_id"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`),
		cdp.SetValue(cdp.CSS("#issuing_country"), "UTO"), cdp.SetValue(cdp.CSS("#number"), card.DocumentNumber),
		cdp.SetUploadFiles(cdp.CSS("#file-front"), []string{front}), cdp.SetUploadFiles(cdp.CSS("#file-selfie"), []string{selfie}),
		cdp.Click(cdp.CSS(`#document-form button[type=submit]`)), cdp.WaitVisible(cdp.CSS("#front-error")))

	note := `(() => { const n = document.querySelector("#file-selfie-not-stored"); return n ? n.textContent.trim() : "" })()`
	if got, want := evalString(t, b, note), "selfie.jpg was not stored (nothing is until every file is right): choose it again."; got != want {
		t.Fatalf("the selfie slot says %q, want %q", got, want)
	}
	if evalString(t, b, `String(document.querySelector("#file-selfie").files.length)`) != "0" {
		t.Fatal("the selfie input kept its file: the note would be wrong")
	}
	testenv.Screenshot(t, b, "upload-choose-again")
	// Chosen again, the file is listed and the note is gone.
	do(t, b, cdp.SetUploadFiles(cdp.CSS("#file-selfie"), []string{selfie}))
	poll(t, b, `!document.querySelector("#file-selfie-not-stored") && [...document.querySelectorAll("[data-dropzone]:has(#file-selfie) .dropzone-file-name")].some(e => e.textContent === "selfie.jpg")`,
		"the note stayed after the selfie was chosen again")
	if strings.Contains(evalString(t, b, `document.querySelector("[data-dropzone]:has(#file-selfie)").className`), "has-warning") {
		t.Error("the selfie slot still warns")
	}
}
