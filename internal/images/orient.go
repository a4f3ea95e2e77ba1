package images

import (
	"image"
	"image/color"

	"golang.org/x/image/draw"
)

// swapsSides reports whether EXIF orientation o turns the image a quarter
// turn, so the upright width is the stored height.
func swapsSides(o int) bool { return o >= 5 && o <= 8 }

// derive returns the upright image of img under EXIF orientation o, scaled
// so its longest side is at most maxSide. It scales first and turns the
// small result, so a 40 megapixel photo is never copied at full size.
func derive(img image.Image, o, maxSide int) *image.RGBA {
	b := img.Bounds()
	uw, uh := b.Dx(), b.Dy()
	if swapsSides(o) {
		uw, uh = uh, uw
	}
	tw, th := fit(uw, uh, maxSide)
	if swapsSides(o) {
		tw, th = th, tw
	}
	// Bilinear for the last step: Catmull-Rom's separable pass would hold a
	// 32-byte-per-cell buffer of display width × source height (about
	// 150 MB for a 3000 × 2000 photo), for no visible gain after halving.
	return orient(scale(img, tw, th, draw.ApproxBiLinear), o)
}

// shrink scales img down so its longest side is at most maxSide, with
// Catmull-Rom, which keeps small text sharp at thumbnail size and is cheap
// there.
func shrink(img *image.RGBA, maxSide int) *image.RGBA {
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), maxSide)
	if w == b.Dx() && h == b.Dy() {
		return img
	}
	return scale(img, w, h, draw.CatmullRom)
}

// fit returns w × h scaled down to fit in maxSide × maxSide, keeping the
// aspect ratio; images that already fit are not enlarged.
func fit(w, h, maxSide int) (int, int) {
	if w <= maxSide && h <= maxSide {
		return w, h
	}
	if w >= h {
		return maxSide, max(1, int((int64(h)*int64(maxSide)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(maxSide)+int64(h)/2)/int64(h))), maxSide
}

// scale draws src into a new w × h RGBA image. It first halves the image
// while it is at least twice the target: a bilinear sample at exactly half
// size is the average of 2 × 2 pixels, a box filter, so large reductions
// stay free of aliasing (moiré on document guilloches) at little cost. The
// last step, less than 2×, uses final. Transparent areas become white,
// since a JPEG has no alpha and black would hide a dark document.
func scale(src image.Image, w, h int, final draw.Interpolator) *image.RGBA {
	cur := src
	cb := src.Bounds()
	for cb.Dx() >= 2*w && cb.Dy() >= 2*h {
		half := image.NewRGBA(image.Rect(0, 0, cb.Dx()/2, cb.Dy()/2))
		draw.ApproxBiLinear.Scale(half, half.Bounds(), cur, cb, draw.Src, nil)
		cur, cb = half, half.Bounds()
	}

	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if o, ok := src.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	if cb.Dx() == w && cb.Dy() == h {
		draw.Draw(dst, dst.Bounds(), cur, cb.Min, op)
		return dst
	}
	final.Scale(dst, dst.Bounds(), cur, cb, op, nil)
	return dst
}

// orient returns the upright image of src under EXIF orientation o:
//
//	1 as stored            5 transposed (mirror, then 270° clockwise)
//	2 mirrored left-right  6 turned 90° clockwise
//	3 turned 180°          7 transversed (mirror, then 90° clockwise)
//	4 mirrored top-bottom  8 turned 270° clockwise
//
// Any other value leaves the image as stored.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	sb := src.Bounds()
	w, h := sb.Dx(), sb.Dy()
	dw, dh := w, h
	if swapsSides(o) {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := range dh {
		for dx := range dw {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-dx, dy
			case 3:
				sx, sy = w-1-dx, h-1-dy
			case 4:
				sx, sy = dx, h-1-dy
			case 5:
				sx, sy = dy, dx
			case 6:
				sx, sy = dy, h-1-dx
			case 7:
				sx, sy = w-1-dy, h-1-dx
			case 8:
				sx, sy = w-1-dy, dx
			}
			s := src.PixOffset(sb.Min.X+sx, sb.Min.Y+sy)
			d := dst.PixOffset(dx, dy)
			copy(dst.Pix[d:d+4], src.Pix[s:s+4])
		}
	}
	return dst
}
