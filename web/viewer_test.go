package web

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestViewerTabsNameEachImage: a viewer's tabs name each image by its kind, numbered when there
// are several of a kind ("Selfie 1", "Selfie 2"), as do the images' alternative texts; each tab
// controls the panel of its image, which it labels, and only the first is selected and in the
// tab order.
func TestViewerTabsNameEachImage(t *testing.T) {
	imgs := []ImageView{{ID: "f", Kind: "front", KindLabel: "Front", Width: 10, Height: 10}, {ID: "b", Kind: "back", KindLabel: "Back", Width: 10, Height: 10},
		{ID: "s1", Kind: "selfie", KindLabel: "Selfie", Width: 10, Height: 10}, {ID: "s2", Kind: "selfie", KindLabel: "Selfie", Width: 10, Height: 10}}
	doc := render(t, Viewer(imgs, CaseRotateKey))
	var tabs, alts []string
	doc.Find("[role=tab]").Each(func(i int, tab *goquery.Selection) {
		tabs = append(tabs, strings.TrimSpace(tab.Text()))
		panel := doc.Find("#" + tab.AttrOr("aria-controls", "none"))
		if panel.AttrOr("role", "") != "tabpanel" || panel.AttrOr("aria-labelledby", "") != tab.AttrOr("id", "?") {
			t.Errorf("tab %d controls %q, not a tabpanel labelled by it", i, tab.AttrOr("aria-controls", ""))
		}
		if sel, idx := tab.AttrOr("aria-selected", ""), tab.AttrOr("tabindex", ""); (i == 0) != (sel == "true") || (i == 0) != (idx == "0") {
			t.Errorf("tab %d: aria-selected %q, tabindex %q", i, sel, idx)
		}
	})
	doc.Find("img.viewer-img").Each(func(_ int, img *goquery.Selection) { alts = append(alts, img.AttrOr("alt", "")) })
	if got := strings.Join(tabs, ","); got != "Front,Back,Selfie 1,Selfie 2" {
		t.Errorf("tabs %q", got)
	}
	if got := strings.Join(alts, ","); got != "Front image,Back image,Selfie 1 image,Selfie 2 image" {
		t.Errorf("alternative texts %q", got)
	}
	var labels []string
	doc.Find(".viewer-toolbar button").Each(func(_ int, b *goquery.Selection) { labels = append(labels, name(doc, b)) })
	if got := strings.Join(labels, ","); got != "Zoom out,Zoom in,Fit,Rotate left,Rotate right" {
		t.Errorf("the buttons are named %q", got)
	}
}
