package liveness

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"

	"kycdesk/internal/vendors"
)

// portraitMargin widens the vendor's portrait box on each side (as a fraction of its size), so the
// whole head shows even when the box is tight.
const portraitMargin = 0.12

// CropRect is the rectangle of the display image to cut out for a portrait box given in the
// pixels of the stored (upright, full-size) image: the box's bounding rectangle, widened by
// portraitMargin, scaled to the display image and clamped to it. ok is false when nothing of the
// box falls on the image.
func CropRect(box vendors.Box, storedWidth int, display image.Rectangle) (image.Rectangle, bool) {
	if storedWidth <= 0 || display.Empty() {
		return image.Rectangle{}, false
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range box.Corners {
		if math.IsNaN(c.X) || math.IsNaN(c.Y) || math.IsInf(c.X, 0) || math.IsInf(c.Y, 0) {
			return image.Rectangle{}, false
		}
		minX, maxX = math.Min(minX, c.X), math.Max(maxX, c.X)
		minY, maxY = math.Min(minY, c.Y), math.Max(maxY, c.Y)
	}
	w, h := maxX-minX, maxY-minY
	if w <= 0 || h <= 0 {
		return image.Rectangle{}, false
	}
	minX, maxX = minX-w*portraitMargin, maxX+w*portraitMargin
	minY, maxY = minY-h*portraitMargin, maxY+h*portraitMargin
	f := float64(display.Dx()) / float64(storedWidth)
	r := image.Rect(int(math.Floor(minX*f)), int(math.Floor(minY*f)), int(math.Ceil(maxX*f)), int(math.Ceil(maxY*f)))
	r = r.Add(display.Min).Intersect(display)
	if r.Dx() < 2 || r.Dy() < 2 {
		return image.Rectangle{}, false
	}
	return r, true
}

// errNoPortrait: the box does not fall on the image.
var errNoPortrait = errors.New("the portrait box is outside the image")

// cropJPEG cuts the portrait out of a display JPEG and encodes it as a JPEG.
func cropJPEG(displayJPEG []byte, box vendors.Box, storedWidth int) ([]byte, error) {
	img, err := jpeg.Decode(bytes.NewReader(displayJPEG))
	if err != nil {
		return nil, err
	}
	r, ok := CropRect(box, storedWidth, img.Bounds())
	if !ok {
		return nil, errNoPortrait
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return nil, errors.New("the image cannot be cropped")
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, sub.SubImage(r), &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
