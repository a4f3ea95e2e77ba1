package review

import (
	"math"
	"strconv"

	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/web"
)

func imageView(im *db.Image) *web.ImageView {
	if im == nil {
		return nil
	}
	return &web.ImageView{ID: im.ID.String(), Kind: string(im.Kind), KindLabel: customers.KindLabel(im.Kind), Width: int(im.Width),
		Height: int(im.Height), IsPDF: im.ContentType == "application/pdf", HasThumb: im.HasThumb, FileName: im.FileName,
		UploadedAt: im.CreatedAt}
}

// facePanel builds the face evidence: the selfie beside the document portrait, and the face
// vendor's scores and failed quality checks in words.
func facePanel(s *Sources) web.FacePanelView {
	p := web.FacePanelView{}
	if im := s.Image("selfie"); im != nil && im.ContentType != "application/pdf" {
		p.Selfie = imageView(im)
	}
	front := s.Image("front")
	if front != nil && front.ContentType != "application/pdf" {
		p.Portrait = imageView(front)
		p.PortraitNote = "the whole front: no portrait box from a vendor"
	}
	var run *VendorRun
	for i := range s.Vendors {
		v := &s.Vendors[i]
		if v.Done != nil && v.Result.Face != nil {
			run = v
			break
		}
	}
	if run == nil {
		// No face result: say why when the face vendor was asked and failed.
		for _, v := range s.Vendors {
			if v.Vendor == vendors.OOTO && v.Done == nil && !v.Pending() {
				p.Vendor = VendorLabel(v.Vendor)
				p.Error = VendorLabel(v.Vendor) + " could not compare the faces: " + codeWords(v.Latest.Code, v.Latest.Reason)
			}
		}
		return p
	}
	f := run.Result.Face
	p.Vendor, p.HasResult, p.Outcome = VendorLabel(run.Vendor), true, string(run.Result.Outcome)
	if f.PortraitBox != nil && p.Portrait != nil && (f.PortraitBox.Side == "" || f.PortraitBox.Side == "front") {
		if crop, ok := cropBox(f.PortraitBox, int(front.Width), int(front.Height)); ok {
			p.PortraitCrop = crop
			p.PortraitNote = "cropped by " + p.Vendor + "'s portrait box"
		}
	}
	p.Scores = FaceScores(f)
	p.Quality = append(p.Quality, f.FailedQuality...)
	p.QualityOK = len(p.Quality) == 0
	return p
}

// FaceScores are a face result's scores as the face panel shows them: each in percent with its
// verdict in words ("87%", "the same person"). The case report prints the same.
func FaceScores(f *vendors.Face) []web.FaceScore {
	if f == nil {
		return nil
	}
	var out []web.FaceScore
	if f.Similarity != nil {
		sc := web.FaceScore{Label: "Similarity", Value: percent(*f.Similarity), Meter: ratio(*f.Similarity), State: "info",
			Low: "0.5", High: "0.8", Optimum: "1"}
		if f.Same != nil {
			sc.Verdict, sc.State = "not the same person", "bad"
			if *f.Same {
				sc.Verdict, sc.State = "the same person", "ok"
			}
		}
		out = append(out, sc)
	} else if f.Same != nil {
		sc := web.FaceScore{Label: "Same person", Value: "—", Verdict: "no", State: "bad"}
		if *f.Same {
			sc.Verdict, sc.State = "yes", "ok"
		}
		out = append(out, sc)
	}
	if f.Liveness != nil {
		sc := web.FaceScore{Label: "Liveness", Value: percent(*f.Liveness), Meter: ratio(*f.Liveness), State: "info",
			Low: "0.5", High: "0.8", Optimum: "1"}
		if f.LivenessFine != nil {
			sc.Verdict, sc.State = "may not be a live person", "bad"
			if *f.LivenessFine {
				sc.Verdict, sc.State = "a live person", "ok"
			}
		}
		out = append(out, sc)
	}
	if f.Deepfake != nil {
		sc := web.FaceScore{Label: "Deepfake", Value: percent(*f.Deepfake), Meter: ratio(*f.Deepfake), State: "info",
			Low: "0.2", High: "0.5", Optimum: "0"}
		if f.DeepfakeFine != nil {
			sc.Verdict, sc.State = "may be a deepfake", "bad"
			if *f.DeepfakeFine {
				sc.Verdict, sc.State = "no sign of a deepfake", "ok"
			}
		}
		out = append(out, sc)
	}
	return out
}

func ratio(f float64) string {
	return strconv.FormatFloat(math.Min(1, math.Max(0, f)), 'f', 3, 64)
}

// cropBox turns a portrait box into the rectangle to show, "x,y,w,h" in image pixels: the box's
// bounds with a margin, kept on the image.
func cropBox(b *vendors.Box, w, h int) (string, bool) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range b.Corners {
		minX, minY = math.Min(minX, p.X), math.Min(minY, p.Y)
		maxX, maxY = math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	if w <= 0 || h <= 0 || !(maxX > minX) || !(maxY > minY) {
		return "", false
	}
	mx, my := (maxX-minX)*0.08, (maxY-minY)*0.08
	x0, y0 := math.Max(0, minX-mx), math.Max(0, minY-my)
	x1, y1 := math.Min(float64(w), maxX+mx), math.Min(float64(h), maxY+my)
	if x1-x0 < 4 || y1-y0 < 4 {
		return "", false
	}
	r := func(f float64) string { return strconv.Itoa(int(math.Round(f))) }
	return r(x0) + "," + r(y0) + "," + r(x1-x0) + "," + r(y1-y0), true
}
