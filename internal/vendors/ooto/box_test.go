package ooto

import (
	"math"
	"math/rand/v2"
	"testing"

	"kycdesk/internal/vendors"
)

func pts(xy ...float64) [4]vendors.Point {
	var p [4]vendors.Point
	for i := range p {
		p[i] = vendors.Point{X: xy[2*i], Y: xy[2*i+1]}
	}
	return p
}

func near(a, b [4]vendors.Point) bool {
	for i := range a {
		if math.Abs(a[i].X-b[i].X) > 0.01 || math.Abs(a[i].Y-b[i].Y) > 0.01 {
			return false
		}
	}
	return true
}

func TestRectBox(t *testing.T) {
	s3 := math.Sqrt(3)
	tests := []struct {
		name string
		r    Rect
		c    BoxConvention
		want [4]vendors.Point
	}{
		{"no angle", Rect{X: 10, Y: 20, W: 100, H: 50}, BoxConvention{}, pts(10, 20, 110, 20, 110, 70, 10, 70)},
		{"90° clockwise about the centre", Rect{X: 0, Y: 0, W: 100, H: 50, Angle: 90}, BoxConvention{},
			pts(75, -25, 75, 75, 25, 75, 25, -25)},
		{"180°", Rect{X: 0, Y: 0, W: 100, H: 50, Angle: 180}, BoxConvention{}, pts(100, 50, 0, 50, 0, 0, 100, 0)},
		{"30° clockwise about the centre", Rect{X: 0, Y: 0, W: 2, H: 0, Angle: 30}, BoxConvention{},
			pts(1-s3/2, -0.5, 1+s3/2, 0.5, 1+s3/2, 0.5, 1-s3/2, -0.5)},
		{"-90° is counter-clockwise", Rect{X: 0, Y: 0, W: 100, H: 50, Angle: -90}, BoxConvention{},
			pts(25, 75, 25, -25, 75, -25, 75, 75)},
		{"counter-clockwise convention", Rect{X: 0, Y: 0, W: 100, H: 50, Angle: 90}, BoxConvention{CounterClockwise: true},
			pts(25, 75, 25, -25, 75, -25, 75, 75)},
		{"radians", Rect{X: 0, Y: 0, W: 100, H: 50, Angle: math.Pi / 2}, BoxConvention{Radians: true},
			pts(75, -25, 75, 75, 25, 75, 25, -25)},
		{"x,y is the centre", Rect{X: 50, Y: 25, W: 100, H: 50}, BoxConvention{XYIsCenter: true}, pts(0, 0, 100, 0, 100, 50, 0, 50)},
		{"about the origin", Rect{X: 10, Y: 10, W: 100, H: 50, Angle: 90}, BoxConvention{AboutOrigin: true},
			pts(10, 10, 10, 110, -40, 110, -40, 10)},
	}
	for _, tt := range tests {
		b := tt.r.Box("front", tt.c)
		if b.Side != "front" || !near(b.Corners, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, b.Corners, tt.want)
		}
	}
}

func TestRectOfInvertsBox(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	convs := []BoxConvention{{}, {Radians: true}, {CounterClockwise: true}, {XYIsCenter: true}, {AboutOrigin: true}, {XYIsCenter: true, Radians: true, CounterClockwise: true}}
	for _, c := range convs {
		for i := 0; i < 200; i++ {
			in := Rect{X: r.Float64() * 1000, Y: r.Float64() * 1000, W: 1 + r.Float64()*500, H: 1 + r.Float64()*500, Angle: r.Float64()*340 - 170}
			if c.Radians {
				in.Angle = in.Angle * math.Pi / 180
			}
			out := RectOf(in.Box("front", c), c)
			// Corners are kept to a thousandth of a pixel, so a small box's angle moves a little.
			tol, atol := 0.01, 0.02
			if c.Radians {
				atol = 0.02 * math.Pi / 180
			}
			if math.Abs(out.X-in.X) > tol || math.Abs(out.Y-in.Y) > tol || math.Abs(out.W-in.W) > tol || math.Abs(out.H-in.H) > tol || math.Abs(out.Angle-in.Angle) > atol {
				t.Fatalf("%+v: %+v → %+v", c, in, out)
			}
		}
	}
}
