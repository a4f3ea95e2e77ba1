package specimen

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/vector"
)

// path is a vector outline in image coordinates. It is replayed into a rasterizer sized to its
// own bounding box, because a rasterizer as large as the page would be cleared and accumulated in
// full for every small shape.
type path struct {
	ops                    []pathOp
	started                bool
	minX, minY, maxX, maxY float32
}

type pathOp struct {
	kind byte // 'M', 'L', 'Q', 'C', 'Z'
	p    [3][2]float32
}

func (p *path) grow(x, y float32) {
	if !p.started {
		p.started = true
		p.minX, p.maxX, p.minY, p.maxY = x, x, y, y
	}
	p.minX, p.maxX = min(p.minX, x), max(p.maxX, x)
	p.minY, p.maxY = min(p.minY, y), max(p.maxY, y)
}

func (p *path) moveTo(x, y float64) {
	p.grow(float32(x), float32(y))
	p.ops = append(p.ops, pathOp{kind: 'M', p: [3][2]float32{{float32(x), float32(y)}}})
}

func (p *path) lineTo(x, y float64) {
	p.grow(float32(x), float32(y))
	p.ops = append(p.ops, pathOp{kind: 'L', p: [3][2]float32{{float32(x), float32(y)}}})
}

func (p *path) quadTo(bx, by, x, y float64) {
	p.grow(float32(bx), float32(by))
	p.grow(float32(x), float32(y))
	p.ops = append(p.ops, pathOp{kind: 'Q', p: [3][2]float32{{float32(bx), float32(by)}, {float32(x), float32(y)}}})
}

func (p *path) cubeTo(bx, by, cx, cy, x, y float64) {
	p.grow(float32(bx), float32(by))
	p.grow(float32(cx), float32(cy))
	p.grow(float32(x), float32(y))
	p.ops = append(p.ops, pathOp{kind: 'C', p: [3][2]float32{
		{float32(bx), float32(by)}, {float32(cx), float32(cy)}, {float32(x), float32(y)}}})
}

func (p *path) close() { p.ops = append(p.ops, pathOp{kind: 'Z'}) }

// kappa places cubic control points so four curves approximate an ellipse.
const kappa = 0.5522847498

// ellipse adds an ellipse; reverse draws it the other way round, which cuts a hole in a shape
// drawn the normal way in the same path.
func (p *path) ellipse(cx, cy, rx, ry float64, reverse bool) {
	kx, ky := rx*kappa, ry*kappa
	if reverse {
		ky = -ky
		ry = -ry
	}
	p.moveTo(cx+rx, cy)
	p.cubeTo(cx+rx, cy+ky, cx+kx, cy+ry, cx, cy+ry)
	p.cubeTo(cx-kx, cy+ry, cx-rx, cy+ky, cx-rx, cy)
	p.cubeTo(cx-rx, cy-ky, cx-kx, cy-ry, cx, cy-ry)
	p.cubeTo(cx+kx, cy-ry, cx+rx, cy-ky, cx+rx, cy)
	p.close()
}

func (p *path) rect(x0, y0, x1, y1 float64) {
	p.moveTo(x0, y0)
	p.lineTo(x1, y0)
	p.lineTo(x1, y1)
	p.lineTo(x0, y1)
	p.close()
}

func (p *path) roundRect(x0, y0, x1, y1, r float64) {
	k := r * (1 - kappa)
	p.moveTo(x0+r, y0)
	p.lineTo(x1-r, y0)
	p.cubeTo(x1-k, y0, x1, y0+k, x1, y0+r)
	p.lineTo(x1, y1-r)
	p.cubeTo(x1, y1-k, x1-k, y1, x1-r, y1)
	p.lineTo(x0+r, y1)
	p.cubeTo(x0+k, y1, x0, y1-k, x0, y1-r)
	p.lineTo(x0, y0+r)
	p.cubeTo(x0, y0+k, x0+k, y0, x0+r, y0)
	p.close()
}

// stroke adds a polyline of the given width as a chain of quads with round joints.
func (p *path) stroke(pts [][2]float64, width float64) {
	h := width / 2
	for i := 0; i+1 < len(pts); i++ {
		ax, ay, bx, by := pts[i][0], pts[i][1], pts[i+1][0], pts[i+1][1]
		dx, dy := bx-ax, by-ay
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		// Wound the same way as ellipse, or the rasterizer would cancel overlaps into gaps.
		nx, ny := -dy/l*h, dx/l*h
		p.moveTo(ax-nx, ay-ny)
		p.lineTo(bx-nx, by-ny)
		p.lineTo(bx+nx, by+ny)
		p.lineTo(ax+nx, ay+ny)
		p.close()
	}
	for _, pt := range pts {
		p.ellipse(pt[0], pt[1], h, h, false)
	}
}

// curve samples a quadratic Bézier into points, for strokes.
func curve(ax, ay, bx, by, cx, cy float64, n int) [][2]float64 {
	pts := make([][2]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		u := 1 - t
		pts = append(pts, [2]float64{u*u*ax + 2*u*t*bx + t*t*cx, u*u*ay + 2*u*t*by + t*t*cy})
	}
	return pts
}

// canvas is an RGBA image with one reusable rasterizer.
type canvas struct {
	img *image.RGBA
	rz  vector.Rasterizer
}

func newCanvas(w, h int) *canvas {
	return &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h))}
}

// clip returns a canvas that draws only inside r, sharing the pixels.
func (cv *canvas) clip(r image.Rectangle) *canvas {
	return &canvas{img: cv.img.SubImage(r).(*image.RGBA)}
}

// fill paints the path with c (which may be translucent), antialiased.
func (cv *canvas) fill(p *path, c color.Color) {
	if len(p.ops) == 0 {
		return
	}
	b := cv.img.Bounds()
	r := image.Rect(int(math.Floor(float64(p.minX))), int(math.Floor(float64(p.minY))),
		int(math.Ceil(float64(p.maxX)))+1, int(math.Ceil(float64(p.maxY)))+1)
	clipped := r.Intersect(b)
	if clipped.Empty() {
		return
	}
	// The rasterizer covers the whole unclipped box so the path keeps its shape at the edges;
	// only the visible part is drawn.
	cv.rz.Reset(r.Dx(), r.Dy())
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, op := range p.ops {
		switch op.kind {
		case 'M':
			cv.rz.MoveTo(op.p[0][0]-ox, op.p[0][1]-oy)
		case 'L':
			cv.rz.LineTo(op.p[0][0]-ox, op.p[0][1]-oy)
		case 'Q':
			cv.rz.QuadTo(op.p[0][0]-ox, op.p[0][1]-oy, op.p[1][0]-ox, op.p[1][1]-oy)
		case 'C':
			cv.rz.CubeTo(op.p[0][0]-ox, op.p[0][1]-oy, op.p[1][0]-ox, op.p[1][1]-oy, op.p[2][0]-ox, op.p[2][1]-oy)
		case 'Z':
			cv.rz.ClosePath()
		}
	}
	if clipped == r {
		cv.rz.Draw(cv.img, r, image.NewUniform(c), image.Point{})
		return
	}
	// Draw into a scratch image of the whole box, then copy the visible part.
	tmp := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := clipped.Min.Y; y < clipped.Max.Y; y++ {
		copy(tmp.Pix[(y-r.Min.Y)*tmp.Stride+(clipped.Min.X-r.Min.X)*4:],
			cv.img.Pix[cv.img.PixOffset(clipped.Min.X, y):cv.img.PixOffset(clipped.Max.X, y)])
	}
	cv.rz.Draw(tmp, tmp.Bounds(), image.NewUniform(c), image.Point{})
	for y := clipped.Min.Y; y < clipped.Max.Y; y++ {
		copy(cv.img.Pix[cv.img.PixOffset(clipped.Min.X, y):cv.img.PixOffset(clipped.Max.X, y)],
			tmp.Pix[(y-r.Min.Y)*tmp.Stride+(clipped.Min.X-r.Min.X)*4:])
	}
}

// fillRect paints an axis-aligned rectangle without antialiasing.
func (cv *canvas) fillRect(r image.Rectangle, c color.RGBA) {
	r = r.Intersect(cv.img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := cv.img.Pix[cv.img.PixOffset(r.Min.X, y):cv.img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}

func rgb(c [3]uint8) color.RGBA { return color.RGBA{c[0], c[1], c[2], 255} }

func nrgba(c [3]uint8, a uint8) color.NRGBA { return color.NRGBA{c[0], c[1], c[2], a} }

// shade scales a colour towards black (f < 1) or white (f > 1).
func shade(c [3]uint8, f float64) [3]uint8 {
	var out [3]uint8
	for i, v := range c {
		x := float64(v) * f
		if f > 1 {
			x = float64(v) + (255-float64(v))*(f-1)
		}
		out[i] = uint8(max(0, min(255, x)))
	}
	return out
}

// mix blends a and b, t from 0 (a) to 1 (b).
func mix(a, b [3]uint8, t float64) [3]uint8 {
	var out [3]uint8
	for i := range a {
		out[i] = uint8(float64(a[i])*(1-t) + float64(b[i])*t + 0.5)
	}
	return out
}
