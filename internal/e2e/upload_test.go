package e2e

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/db"
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
	// The sides' pickers offer a PDF only for an "other" document, as the server takes one.
	pickType := func(typ string) cdp.Action[cdp.Void] {
		return cdp.Evaluate[cdp.Void](`(() => { const s = document.querySelector("#doc-type"); s.value = "` + typ + `"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`)
	}
	accepts := `[...document.querySelectorAll("#file-front, #file-back, #file-selfie")].map(i => i.getAttribute("accept")).join(" | ")`
	do(t, b, pickType("other"))
	if got := evalString(t, b, accepts); got != "image/jpeg,image/png,application/pdf | image/jpeg,image/png,application/pdf | image/jpeg,image/png" {
		t.Fatalf("an other document's pickers offer %q", got)
	}
	do(t, b, pickType("passport"))
	if got := evalString(t, b, accepts); got != "image/jpeg,image/png | image/jpeg,image/png | image/jpeg,image/png" {
		t.Fatalf("a passport's pickers offer %q", got)
	}
	do(t, b,
		pickType("national_id"),
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

// TestUploadOnADecidedCustomerOpensACase: on the page of a customer's rejected case, the upload
// form says before anything is sent that a document opens a new case; the upload (through htmx)
// lands on the new case, whose flash says it was opened.
func TestUploadOnADecidedCustomerOpensACase(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	ctx := context.Background()
	first := demoCase(t, app, "demo-1001")
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = 'rejected', decided_at = now() WHERE id = $1", first.ID); err != nil {
		t.Fatal(err)
	}
	b, _ := openDemoCaseByID(t, app, rev, first.ID.String())
	if evalString(t, b, `String(!!document.querySelector("#add-document #upload-opens-case"))`) != "true" {
		t.Fatal("the rejected case's page offers no upload that says it opens a new case")
	}
	do(t, b, cdp.Click(cdp.CSS("#add-document > summary")), cdp.WaitVisible(cdp.CSS("#upload-opens-case")))
	if got := evalString(t, b, `document.querySelector("#upload-opens-case").textContent`); !strings.Contains(got, "adding a document opens a new case") {
		t.Fatalf("the form says %q", got)
	}

	sp := specimen.Generate(55, specimen.Options{DocumentType: specimen.Passport})
	front := filepath.Join(t.TempDir(), "front.jpg")
	if err := os.WriteFile(front, sp.Front, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, b, cdp.SetValue(cdp.CSS("#issuing_country"), "UTO"), cdp.SetValue(cdp.CSS("#number"), sp.DocumentNumber),
		cdp.SetUploadFiles(cdp.CSS("#file-front"), []string{front}), cdp.Click(cdp.CSS(`#document-form button[type=submit]`)))
	// htmx follows the answer's HX-Redirect with a page load, which may end a poll begun before it.
	arrived := `location.pathname !== "/cases/` + first.ID.String() + `" && !!document.querySelector(".flash") && document.querySelector(".flash").textContent.includes("a new case was opened")`
	var err error
	for range 3 {
		pctx, cancel := context.WithTimeout(b, 20*time.Second)
		_, err = cdp.Run(pctx, cdp.Poll[bool](arrived))
		cancel()
		if err == nil || !(strings.Contains(err.Error(), "context") || strings.Contains(err.Error(), "navigated")) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the upload did not land on a new case with its flash (at %s): %v", evalString(t, b, "location.pathname"), err)
	}
	second, err := db.New(app.Pool).GetOpenCaseForCustomer(ctx, first.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, b, "location.pathname"); got != "/cases/"+second.ID.String() {
		t.Fatalf("the upload went to %s, want the new case %s", got, second.ID)
	}
	testenv.Screenshot(t, b, "upload-opens-case")
}

// openDemoCaseByID signs u in on a case page in a new browser.
func openDemoCaseByID(t *testing.T, app *testenv.App, u testenv.User, id string) (context.Context, string) {
	t.Helper()
	caseURL := app.URL + "/cases/" + id
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(caseURL))
	signIn(t, b, u.Email, u.Password)
	return b, caseURL
}

// TestUploadRefusedOnAStalePageSaysWhy: an upload refused because the case was reassigned while
// the page was open (403) says under the form what the server said, as the alert at the top
// does, and does not ask to try again, which cannot work.
func TestUploadRefusedOnAStalePageSaysWhy(t *testing.T) {
	app := testenv.NewApp(t)
	rev, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")),
		cdp.Click(cdp.CSS("#add-document > summary")), cdp.WaitVisible(cdp.CSS("#document-form")))
	c := demoCase(t, app, "demo-1001")
	if _, err := app.Pool.Exec(context.Background(), "UPDATE cases SET assignee_id = $2 WHERE id = $1", c.ID, other.ID); err != nil {
		t.Fatal(err)
	}

	sp := specimen.Generate(56, specimen.Options{DocumentType: specimen.Passport})
	front := filepath.Join(t.TempDir(), "front.jpg")
	if err := os.WriteFile(front, sp.Front, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, b, cdp.SetValue(cdp.CSS("#issuing_country"), "UTO"), cdp.SetValue(cdp.CSS("#number"), sp.DocumentNumber),
		cdp.SetUploadFiles(cdp.CSS("#file-front"), []string{front}), cdp.Click(cdp.CSS(`#document-form button[type=submit]`)))
	status := `document.querySelector("#document-form [data-upload-status]").textContent`
	poll(t, b, `!!document.querySelector("#action-error") && `+status+`.startsWith("Nothing was stored")`, "the refused upload says nothing under the form")
	got := evalString(t, b, status)
	if !strings.Contains(got, "assigned to someone else") || strings.Contains(strings.ToLower(got), "try again") {
		t.Errorf("under the form: %q, want the server's reason and no retry", got)
	}
	testenv.Screenshot(t, b, "upload-refused-stale")
}
