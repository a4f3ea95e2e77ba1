package checks

import (
	"encoding/json"
	"testing"

	"kycdesk/internal/vendors"
)

func TestScaleBoxes(t *testing.T) {
	box := func(x float64, side string) *vendors.Box {
		return &vendors.Box{Side: side, Corners: [4]vendors.Point{{X: x, Y: 10}, {X: x + 10, Y: 10}, {X: x + 10, Y: 20}, {X: x, Y: 20}}}
	}
	tests := []struct {
		name  string
		box   *vendors.Box
		sent  float64
		want  int
		first *vendors.Point // nil: no box
	}{
		{"halved", box(100, "front"), 2000, 1000, &vendors.Point{X: 50, Y: 5}},
		{"same size", box(100, ""), 1000, 1000, &vendors.Point{X: 100, Y: 10}},
		{"back side kept", box(100, "back"), 2000, 1000, &vendors.Point{X: 100, Y: 10}},
		{"unknown sent width", box(100, "front"), 0, 1000, &vendors.Point{X: 100, Y: 10}},
		{"off any image", box(1e308, "front"), 100, 4000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &vendors.Result{Fields: []vendors.Field{{Name: vendors.Surname, Value: "A", Box: tt.box}}, Face: &vendors.Face{PortraitBox: box(1e308, "front")}}
			scaleBoxes(res, tt.sent, tt.want)
			got := res.Fields[0].Box
			if (got == nil) != (tt.first == nil) || got != nil && got.Corners[0] != *tt.first {
				t.Fatalf("box %+v, want first corner %+v", got, tt.first)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("result cannot be stored: %v", err)
			}
		})
	}
}
