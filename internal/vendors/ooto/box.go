package ooto

import (
	"math"

	"kycdesk/internal/vendors"
)

// Rect is a box as OOTO sends it: {x, y, w, h} for the face on the selfie, plus an angle for the
// document and its portrait.
type Rect struct {
	X, Y, W, H, Angle float64
}

// BoxConvention says how to read a Rect. The page does not define x, y or angle; the zero value is
// this client's assumption: (x, y) is the top-left corner of the box before rotation, the angle is
// in degrees, positive turns clockwise on screen (image y grows downwards), and the box turns
// about its centre. The fields switch each part, so a different reading is a setting, not a change
// of code, and the fake draws its boxes with the same convention.
type BoxConvention struct {
	XYIsCenter       bool // (x, y) is the centre of the box
	Radians          bool // the angle is in radians
	CounterClockwise bool // positive angles turn counter-clockwise on screen
	AboutOrigin      bool // the box turns about (x, y) instead of its centre
}

func (c BoxConvention) radians(a float64) float64 {
	if !c.Radians {
		a = a * math.Pi / 180
	}
	if c.CounterClockwise {
		a = -a
	}
	return a
}

// Box returns the four corners of r (top-left, top-right, bottom-right, bottom-left of the box
// before rotation) on the given side's image.
func (r Rect) Box(side string, c BoxConvention) vendors.Box {
	x0, y0 := r.X, r.Y
	if c.XYIsCenter {
		x0, y0 = r.X-r.W/2, r.Y-r.H/2
	}
	px, py := x0+r.W/2, y0+r.H/2 // pivot
	if c.AboutOrigin {
		px, py = r.X, r.Y
	}
	th := c.radians(r.Angle)
	sin, cos := math.Sincos(th)
	corners := [4][2]float64{{x0, y0}, {x0 + r.W, y0}, {x0 + r.W, y0 + r.H}, {x0, y0 + r.H}}
	b := vendors.Box{Side: side}
	for i, p := range corners {
		dx, dy := p[0]-px, p[1]-py
		b.Corners[i] = vendors.Point{X: round(px + dx*cos - dy*sin), Y: round(py + dx*sin + dy*cos)}
	}
	return b
}

// RectOf is the inverse of Rect.Box for a box whose corners form a rectangle (as Box produces):
// the fake uses it to describe a specimen's portrait the way OOTO would.
func RectOf(b vendors.Box, c BoxConvention) Rect {
	p := b.Corners
	cx := (p[0].X + p[1].X + p[2].X + p[3].X) / 4
	cy := (p[0].Y + p[1].Y + p[2].Y + p[3].Y) / 4
	w := math.Hypot(p[1].X-p[0].X, p[1].Y-p[0].Y)
	h := math.Hypot(p[3].X-p[0].X, p[3].Y-p[0].Y)
	th := math.Atan2(p[1].Y-p[0].Y, p[1].X-p[0].X)
	if c.CounterClockwise {
		th = -th
	}
	angle := th
	if !c.Radians {
		angle = th * 180 / math.Pi
	}
	r := Rect{W: round(w), H: round(h), Angle: math.Round(angle*1e6) / 1e6}
	switch {
	case c.XYIsCenter:
		r.X, r.Y = round(cx), round(cy)
	case c.AboutOrigin:
		// The box turned about its own top-left corner, which therefore did not move.
		r.X, r.Y = round(p[0].X), round(p[0].Y)
	default:
		r.X, r.Y = round(cx-w/2), round(cy-h/2)
	}
	return r
}

// round keeps boxes readable (and comparable in tests) at a thousandth of a pixel.
func round(v float64) float64 { return math.Round(v*1000) / 1000 }
