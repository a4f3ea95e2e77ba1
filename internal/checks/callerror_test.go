package checks

import "testing"

func TestCallError(t *testing.T) {
	tests := []struct {
		name, raw, meaning, want string
	}{
		{"answered", "", "", ""},
		{"answered with a meaning", "", "Cynopsis issued an access token.", ""},
		{"transport error explained", `Post "http://127.0.0.1:9/x": dial tcp 127.0.0.1:9: connect: connection refused`, "The vendor could not be reached.", ""},
		{"transport error unexplained", "context deadline exceeded", "", "The call got no usable answer."},
	}
	for _, tt := range tests {
		if got := callError(tt.raw, tt.meaning); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
