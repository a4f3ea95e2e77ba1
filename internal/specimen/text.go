package specimen

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"kycdesk/internal/vendors"
)

// The Go fonts ship inside x/image, so a specimen needs nothing from the machine it runs on.
// Parsed fonts are safe to share; faces are not, so every rendering makes its own.
var (
	fontRegular = mustParse(goregular.TTF)
	fontMedium  = mustParse(gomedium.TTF)
	fontBold    = mustParse(gobold.TTF)
	fontMono    = mustParse(gomono.TTF)
)

// mustParse parses a font compiled into the binary; failing means the build is broken, not that
// some input was bad.
func mustParse(ttf []byte) *opentype.Font {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic(fmt.Sprintf("specimen: embedded font does not parse: %v", err))
	}
	return f
}

// faceSet caches faces by font and size for one rendering.
type faceSet map[faceKey]font.Face

type faceKey struct {
	f    *opentype.Font
	size float64
}

func (fs faceSet) get(f *opentype.Font, size float64) font.Face {
	k := faceKey{f, size}
	if face, ok := fs[k]; ok {
		return face
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		// NewFace only fails for invalid options, which are constants here.
		panic(fmt.Sprintf("specimen: font face: %v", err))
	}
	fs[k] = face
	return face
}

// textItem is one run of text placed on an image. Field names the canonical field whose value it
// shows, so its box can be reported to the vendor fakes.
type textItem struct {
	s     string
	face  font.Face
	x, y  float64 // baseline origin
	color color.RGBA
	field vendors.FieldName
}

// bounds is the rectangle the text's ink covers.
func (t textItem) bounds() image.Rectangle {
	b, _ := font.BoundString(t.face, t.s)
	return image.Rect(
		int(math.Floor(t.x+float64(b.Min.X)/64)), int(math.Floor(t.y+float64(b.Min.Y)/64)),
		int(math.Ceil(t.x+float64(b.Max.X)/64)), int(math.Ceil(t.y+float64(b.Max.Y)/64)))
}

func (t textItem) width() float64 { return float64(font.MeasureString(t.face, t.s)) / 64 }

func (cv *canvas) text(t textItem) {
	d := font.Drawer{
		Dst:  cv.img,
		Src:  image.NewUniform(t.color),
		Face: t.face,
		Dot:  fixed.Point26_6{X: fixed.Int26_6(t.x * 64), Y: fixed.Int26_6(t.y * 64)},
	}
	d.DrawString(t.s)
}

// boxOf turns a pixel rectangle into the four-corner box the vendors report, padded a little as
// OCR engines do.
func boxOf(r image.Rectangle, side string) vendors.Box {
	const pad = 3
	x0, y0 := float64(r.Min.X-pad), float64(r.Min.Y-pad)
	x1, y1 := float64(r.Max.X+pad), float64(r.Max.Y+pad)
	return vendors.Box{Side: side, Corners: [4]vendors.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}}
}

// stamp draws s rotated by angle (radians, counter-clockwise) centred on (cx, cy), in c at the
// given opacity: the diagonal "SPECIMEN" across a page.
func (cv *canvas) stamp(s string, face font.Face, cx, cy, angle float64, c [3]uint8, opacity float64) {
	b, adv := font.BoundString(face, s)
	w := int(math.Ceil(float64(adv)/64)) + 4
	top := int(math.Floor(float64(b.Min.Y)/64)) - 2
	h := int(math.Ceil(float64(b.Max.Y)/64)) - top + 2
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(2, -top)}
	d.DrawString(s)

	sin, cos := math.Sin(angle), math.Cos(angle)
	hw, hh := float64(w)/2, float64(h)/2
	ext := int(math.Ceil(math.Abs(hw*cos) + math.Abs(hh*sin)))
	eyt := int(math.Ceil(math.Abs(hw*sin) + math.Abs(hh*cos)))
	area := image.Rect(int(cx)-ext, int(cy)-eyt, int(cx)+ext+1, int(cy)+eyt+1).Intersect(cv.img.Bounds())
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			// Inverse rotation into the mask (screen y points down, so the signs flip).
			u := dx*cos - dy*sin + hw
			v := dx*sin + dy*cos + hh
			a := sampleAlpha(mask, u, v) * opacity
			if a <= 0 {
				continue
			}
			i := cv.img.PixOffset(x, y)
			for k := 0; k < 3; k++ {
				cv.img.Pix[i+k] = uint8(float64(cv.img.Pix[i+k])*(1-a) + float64(c[k])*a + 0.5)
			}
		}
	}
}

// sampleAlpha reads the mask bilinearly at (u, v), 0 outside.
func sampleAlpha(m *image.Alpha, u, v float64) float64 {
	u, v = u-0.5, v-0.5
	x0, y0 := int(math.Floor(u)), int(math.Floor(v))
	fx, fy := u-float64(x0), v-float64(y0)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= m.Rect.Dx() || y >= m.Rect.Dy() {
			return 0
		}
		return float64(m.Pix[y*m.Stride+x]) / 255
	}
	return at(x0, y0)*(1-fx)*(1-fy) + at(x0+1, y0)*fx*(1-fy) + at(x0, y0+1)*(1-fx)*fy + at(x0+1, y0+1)*fx*fy
}
