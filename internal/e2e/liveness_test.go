package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	cdp "github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/demo"
	"kycdesk/internal/images"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors/cynopsis"
)

// TestReviewerRecordsALivenessVerdict: a reviewer claims a demo case, opens the liveness review of
// its passport (selfie, portrait cut out by the face check, the check's signals), records a
// verdict, and sees it delivered to Artemis (the simulator) with Artemis' answer; the simulator
// received exactly one PUT, with the expected body.
func TestReviewerRecordsALivenessVerdict(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev := app.CreateUser(t, "reviewer")
	if _, err := demo.EnsureCases(ctx, app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	var caseID, docID uuid.UUID
	if err := app.Pool.QueryRow(ctx, `SELECT c.id, d.id FROM cases c JOIN customers cu ON cu.id = c.customer_id
		JOIN documents d ON d.customer_id = cu.id WHERE cu.external_ref = 'demo-1002'`).Scan(&caseID, &docID); err != nil {
		t.Fatal(err)
	}
	imgs, err := db.New(app.Pool).ListDocumentImages(ctx, &docID)
	if err != nil {
		t.Fatal(err)
	}
	var front, selfie db.Image
	for _, im := range imgs {
		switch im.Kind {
		case db.ImageKindFront:
			front = im
		case db.ImageKindSelfie:
			selfie = im
		}
	}
	// The reviewer claims the case and runs the face check first, so the review shows its signals
	// and the cut-out portrait.
	c := app.SignIn(t, rev)
	if res := c.PostForm(t, fmt.Sprintf("/cases/%s/claim", caseID), nil); res.Status != 303 {
		t.Fatalf("claim: %d", res.Status)
	}
	if res := c.PostForm(t, fmt.Sprintf("/cases/%s/documents/%s/checks", caseID, docID), url.Values{"vendor": {"ooto"}}, "HX-Request", "true"); res.Status != 200 {
		t.Fatalf("run the face check: %d", res.Status)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var state string
		_ = app.Pool.QueryRow(ctx, "SELECT state FROM checks WHERE document_id = $1 AND vendor = 'ooto'", docID).Scan(&state)
		if state == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the face check did not finish: %q", state)
		}
		time.Sleep(100 * time.Millisecond)
	}

	b := testenv.Browser(t)
	casePath := app.URL + "/cases/" + caseID.String()
	do(t, b, cdp.Navigate(casePath))
	signIn(t, b, rev.Email, rev.Password)
	do(t, b, cdp.WaitVisible(cdp.CSS("#release")))
	panel := "#liveness-" + docID.String()
	do(t, b, cdp.Click(cdp.CSS(panel+" [data-liveness-review]")), cdp.WaitVisible(cdp.CSS("#liveness-form")))
	for _, sel := range []string{"img[data-selfie]", "img[data-portrait]"} {
		if _, err := cdp.Run(b, cdp.Poll[bool](`(() => { const i = document.querySelector("`+sel+`"); return i && i.complete && i.naturalWidth > 0 })()`)); err != nil {
			t.Fatalf("%s did not load: %v", sel, err)
		}
	}
	signal, _ := cdp.Run(b, cdp.Text(cdp.CSS(`[data-signal="liveness"]`)))
	if !strings.Contains(signal, "%") {
		t.Errorf("liveness signal: %q", signal)
	}
	for _, id := range []string{"#conclusion-yes", "#liveness_result-yes", "#facial_check-yes", "#eyes_closed-no", "#sunglasses-no", "#face_occluded-no"} {
		do(t, b, cdp.Click(cdp.CSS(id)))
	}
	do(t, b,
		cdp.SendKeys(cdp.CSS("#eyes_closed_confidence"), "95"),
		cdp.SendKeys(cdp.CSS("#sunglasses_confidence"), "98.5"),
		cdp.SendKeys(cdp.CSS("#face_occluded_confidence"), "90"),
		cdp.SendKeys(cdp.CSS("#liveness_confidence"), "92"),
		cdp.Click(cdp.CSS(`#audit-images input[value="`+front.ID.String()+`"]`)),
		cdp.SendKeys(cdp.CSS("#liveness-comment"), "Natural blink, consistent lighting."),
	)
	testenv.Screenshot(t, b, "review-form")
	do(t, b, cdp.Click(cdp.CSS("#record-verdict")), cdp.WaitVisible(cdp.CSS("#case-status")), cdp.WaitVisible(cdp.CSS(panel)))
	// The panel refreshes itself until Artemis has answered.
	if _, err := cdp.Run(b, cdp.Poll[bool](`document.querySelector("`+panel+` tr[data-verdict][data-state=delivered]") !== null`, cdp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("the verdict was not shown delivered: %v", err)
	}
	do(t, b, cdp.ScrollIntoView(cdp.CSS(panel)))
	testenv.Screenshot(t, b, "delivered")

	var artemisDoc int64
	if err := app.Pool.QueryRow(ctx, "SELECT artemis_document_id FROM documents WHERE id = $1", docID).Scan(&artemisDoc); err != nil {
		t.Fatal(err)
	}
	row, _ := cdp.Run(b, cdp.Text(cdp.CSS(panel+" tr[data-verdict]")))
	for _, want := range []string{fmt.Sprint(artemisDoc), "NOT_PERFORMED", "API User", "conclusion: pass"} {
		if !strings.Contains(row, want) {
			t.Errorf("the delivered row lacks %q: %q", want, row)
		}
	}

	puts := app.Server.Sim.Cynopsis.RequestsTo(cynopsis.RouteLiveness)
	if len(puts) != 1 {
		t.Fatalf("the simulator received %d liveness PUTs, want exactly one", len(puts))
	}
	var custArtemis int64
	_ = app.Pool.QueryRow(ctx, "SELECT cu.artemis_customer_id FROM customers cu JOIN documents d ON d.customer_id = cu.id WHERE d.id = $1", docID).Scan(&custArtemis)
	if want := fmt.Sprintf("/api/customer/%d/document/%d/liveness", custArtemis, artemisDoc); puts[0].Path != want || puts[0].Method != "PUT" || puts[0].Status != 200 {
		t.Errorf("PUT %s %s → %d, want %s", puts[0].Method, puts[0].Path, puts[0].Status, want)
	}
	var body map[string]any
	if err := json.Unmarshal(puts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"conclusion": "true", "livenessResult": "true", "facialCheck": "true", "liivenessConfidence": "92",
		"faceDetails":    `{"eyesClosed":{"confidence":95,"value":false},"faceOccluded":{"confidence":90,"value":false},"sunglasses":{"confidence":98.5,"value":false}}`,
		"referenceImage": quote(base64.StdEncoding.EncodeToString(display(t, app, selfie))),
		"auditImages":    quote(base64.StdEncoding.EncodeToString(display(t, app, front))),
	}
	if len(body) != len(want) {
		t.Errorf("the body has %d members, want %d", len(body), len(want))
	}
	for k, w := range want {
		got, _ := json.Marshal(body[k])
		if string(got) != w {
			t.Errorf("%s = %.100s, want %.100s", k, got, w)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func display(t *testing.T, app *testenv.App, im db.Image) []byte {
	t.Helper()
	key, err := images.DisplayKey(im.Sha256)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := app.Server.Images.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
